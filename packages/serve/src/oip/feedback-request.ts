import { BadRequestError } from '../errors/serve-error.js';

/** A validated `POST /v2/models/{name}/feedback` body. */
export interface FeedbackRequest {
  /** The id of the inference request (as echoed in its response). */
  readonly id: string;
  /** True class index per sample of that request, in its order. */
  readonly labels: readonly number[];
}

/** A validated feedback body: one request's labels, or a batch of them. */
export type FeedbackBody =
  | { readonly kind: 'one'; readonly entry: FeedbackRequest }
  | { readonly kind: 'batch'; readonly entries: readonly FeedbackRequest[] };

const USAGE =
  'send {"id": "<request id from the inference response>", "labels": [<class index>, …]}, or several as {"feedback": [{"id": …, "labels": […]}, …]}';

/**
 * Checks a feedback body's shape: `{"id": "<request id>", "labels": [<int>, …]}`, or a batch
 * `{"feedback": [{"id": …, "labels": […]}, …]}` (one call for the labels of many requests),
 * and nothing else. Ranges are checked against the held answers by the feedback store.
 *
 * @throws BadRequestError (400) naming the field (and the batch entry) and the fix.
 */
export function parseFeedbackRequest(body: unknown): FeedbackBody {
  const record = asObject(body, 'the feedback body');
  if ('feedback' in record) {
    const extra = Object.keys(record).find((key) => key !== 'feedback');
    if (extra !== undefined)
      throw new BadRequestError(`unknown feedback field "${extra.slice(0, 40)}"; ${USAGE}`);
    if (!Array.isArray(record.feedback) || record.feedback.length === 0) {
      throw new BadRequestError(
        `"feedback" must be a non-empty array, got ${describe(record.feedback)}; ${USAGE}`,
      );
    }
    return {
      kind: 'batch',
      entries: record.feedback.map((entry, index) =>
        parseEntry(asObject(entry, `feedback entry ${index}`), `feedback entry ${index}: `),
      ),
    };
  }
  return { kind: 'one', entry: parseEntry(record, '') };
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequestError(`${what} must be a JSON object; ${USAGE}`);
  }
  return value as Record<string, unknown>;
}

function parseEntry(record: Record<string, unknown>, where: string): FeedbackRequest {
  const unknown = Object.keys(record).filter((key) => key !== 'id' && key !== 'labels');
  if (unknown.length > 0) {
    throw new BadRequestError(`${where}unknown feedback field "${unknown[0]!.slice(0, 40)}"; ${USAGE}`);
  }
  if (typeof record.id !== 'string' || record.id === '') {
    throw new BadRequestError(
      `${where}feedback "id" must be a non-empty string, got ${describe(record.id)}; ${USAGE}`,
    );
  }
  if (!Array.isArray(record.labels) || record.labels.length === 0) {
    throw new BadRequestError(
      `${where}feedback "labels" must be a non-empty array, got ${describe(record.labels)}; ${USAGE}`,
    );
  }
  return { id: record.id, labels: record.labels as number[] };
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value).slice(0, 60);
}
