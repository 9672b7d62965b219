/**
 * The way out of an error, named, so that each front end words it in its own terms: the CLI
 * as flags (`--delta 0.9`), the server as request parameters, a library caller as options.
 * Core never names a front end's syntax; it says what to do (`text`) and which action that is.
 */
export interface ErrorHint {
  /** Which way out this is; front ends key their own wording on it. */
  readonly action: HintAction;
  /** The way out in words no front end owns, e.g. "e.g. δ = 0.9 keeps exits whose …". */
  readonly text: string;
}

/** The words of each way out, keyed by its action. */
const HINT_TEXTS = {
  /** Stage times too short for the clock: measure on a larger batch. */
  'measure-larger-batch': 'measure on a larger batch',
  /** An affine cost needs times at several batch sizes. */
  'measure-several-batches': 'measure at several batch sizes, e.g. 1, 8 and 64',
  /** δ outside [0, 1]: pass a δ such as 0.9. */
  'choose-delta': 'e.g. δ = 0.9 keeps exits whose validation accuracy is ≥ 90%',
  /** No δ and a profile without a tuned point: pass a δ, or tune the profile first. */
  'delta-or-tune': 'give a δ, or tune the profile first on a holdout set (Learn-then-Test)',
  /** Risk α outside (0, 1). */
  'choose-risk': 'e.g. a risk of 0.05 makes the guarantee hold with probability ≥ 95%',
  /** Target accuracy outside (0, 1]. */
  'choose-target-accuracy': 'e.g. a target accuracy of 0.9 asks for at least 90% accuracy',
  /** A cost at a batch size needs a batch cost model: costs in ms at several batch sizes. */
  'measure-batch-cost-model':
    'calibrate with costs measured in ms at several batch sizes, e.g. 1, 4, 16 and 64',
  /** A batch cost model that does not fit: calibrate again with costs in ms. */
  'recalibrate-in-ms': 'calibrate again with costs measured in ms',
  /** Exit costs of the wrong length: one cumulative cost per exit. */
  'one-cost-per-exit': 'give one cumulative cost per exit',
  /** An empty profile file. */
  'profile-is-empty':
    'pass the profile that calibration wrote, or create one by calibrating on validation traces',
  /** Traces where a profile was expected (arguments swapped?). */
  'profile-not-traces': 'give the profile first and the traces second',
  /** A profile that is not valid JSON. */
  'profile-truncated': 'is the file truncated? calibrate again to recreate it',
  /** A JSON file that is not a profile. */
  'create-profile': 'create one by calibrating on validation traces',
  /** Diagrams with different edges cannot merge: the same equal-width bins on every shard. */
  'same-binning': 'calibrate every shard with the same equal-width binning and bin count',
} as const;

/** Every named way out core's errors offer. */
export type HintAction = keyof typeof HINT_TEXTS;

/** Every action, for front ends that check they word each one. */
export const HINT_ACTIONS = Object.keys(HINT_TEXTS) as HintAction[];

/** The hint for an action, in words no front end owns. */
export function hint(action: HintAction): ErrorHint {
  return { action, text: HINT_TEXTS[action] };
}
