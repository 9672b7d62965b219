import { BadRequestError, ConflictError, NotFoundError } from '../errors/serve-error.js';

/** What the server answered for one request's samples, kept until its labels come back. */
export interface ServedAnswers {
  /** Predicted class per sample. */
  readonly prediction: Int32Array;
  /** Exit taken per sample, 0-based. */
  readonly exit: Int32Array;
  /** Confidence at the exit taken, in [0, 1]. */
  readonly confidence: Float64Array;
  /** 1 where the sample was answered "abstain". */
  readonly abstained: Uint8Array;
  /** The operating point's epoch when answered (see `ModelFeedback.restart`). */
  readonly epoch: number;
  /**
   * Logits `[samples, exits, classes]` at every exit, where `traced` is 1: samples that ran to
   * the final exit (audited, or served in a safe mode after a violation).
   */
  readonly trace?: Float32Array;
  readonly traced?: Uint8Array;
}

interface HeldAnswers {
  readonly answers: ServedAnswers;
  labelled: boolean;
}

/**
 * Answers waiting for label feedback, bounded by a number of samples: when a new request
 * would go past `capacity`, the oldest requests expire (first in, first out), and
 * `onExpire` hears how many samples were dropped without a label. A request id that is
 * answered again replaces its earlier entry (feedback is for the latest answer with that id).
 * Entries that got feedback stay (so a second feedback is a 409, not a 404) until they expire.
 */
export class FeedbackStore {
  private readonly held = new Map<string, HeldAnswers>();
  private samples = 0;

  /**
   * @param capacity most samples held, ≥ 1.
   * @param onExpire called with the sample count of each request that expires unlabelled.
   */
  constructor(
    readonly capacity: number,
    private readonly onExpire: (samples: number) => void = () => {},
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`feedback capacity must be a positive integer, got ${capacity}`);
    }
  }

  /** Samples held now (labelled or not); never more than `capacity`. */
  get size(): number {
    return this.samples;
  }

  /** Keeps one request's answers under its id; a request larger than the whole store expires at once. */
  record(id: string, answers: ServedAnswers): void {
    const rows = answers.exit.length;
    this.remove(id);
    if (rows > this.capacity) {
      this.onExpire(rows);
      return;
    }
    while (this.samples + rows > this.capacity) {
      const [oldestId, oldest] = this.held.entries().next().value!;
      this.remove(oldestId);
      if (!oldest.labelled) this.onExpire(oldest.answers.exit.length);
    }
    this.held.set(id, { answers, labelled: false });
    this.samples += rows;
  }

  /**
   * Checks `labels` against the answers held under `id` and marks them labelled. Nothing
   * changes when it throws.
   *
   * @param labels one class index per sample of that request, in its order.
   * @param classes the model's class count (labels must be in [0, classes)).
   * @throws NotFoundError (404) for an unknown or expired id; BadRequestError (400) for a wrong
   *   count or a label out of range; ConflictError (409) when this id already had feedback.
   */
  label(id: string, labels: readonly number[], classes: number): ServedAnswers {
    const entry = this.check(id, labels, classes);
    entry.labelled = true;
    return entry.answers;
  }

  /**
   * Checks feedback for several requests, all before any is marked: either every one is
   * labelled, or it throws (the first problem, naming its entry) and nothing changes.
   *
   * @throws as `label`, and BadRequestError (400) for an id given twice.
   */
  labelAll(entries: readonly { id: string; labels: readonly number[] }[], classes: number): ServedAnswers[] {
    const seen = new Set<string>();
    const checked = entries.map(({ id, labels }, index) => {
      if (seen.has(id)) {
        throw new BadRequestError(
          `feedback entry ${index} repeats request id "${id.slice(0, 100)}"; give each request's labels once`,
        );
      }
      seen.add(id);
      return this.check(id, labels, classes, `feedback entry ${index}: `);
    });
    return checked.map((entry) => {
      entry.labelled = true;
      return entry.answers;
    });
  }

  /** The held entry for `id` when `labels` fit it; throws as `label` does, messages after `where`. */
  private check(id: string, labels: readonly number[], classes: number, where = ''): HeldAnswers {
    const entry = this.held.get(id);
    if (!entry) {
      throw new NotFoundError(
        `${where}no answers held for request id "${id.slice(0, 100)}": it is unknown or expired (the server keeps the latest ${this.capacity} samples, --feedback-capacity); send feedback sooner or raise the capacity`,
      );
    }
    const rows = entry.answers.exit.length;
    if (labels.length !== rows) {
      throw new BadRequestError(
        `${where}request "${id.slice(0, 100)}" had ${rows} sample${rows === 1 ? '' : 's'} but the feedback has ${labels.length} labels; send one label per sample, in the request's order`,
      );
    }
    const bad = labels.findIndex((label) => !Number.isInteger(label) || label < 0 || label >= classes);
    if (bad >= 0) {
      throw new BadRequestError(
        `${where}label ${bad} is ${JSON.stringify(labels[bad])}, not a class index in [0, ${classes - 1}]; send the index of the true class`,
      );
    }
    if (entry.labelled) {
      throw new ConflictError(
        `${where}request "${id.slice(0, 100)}" already had feedback; labels are counted once per request`,
      );
    }
    return entry;
  }

  private remove(id: string): void {
    const entry = this.held.get(id);
    if (!entry) return;
    this.held.delete(id);
    this.samples -= entry.answers.exit.length;
  }
}
