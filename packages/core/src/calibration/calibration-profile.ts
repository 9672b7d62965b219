import { depthCosts, type ExitCosts, validateCosts } from '../cost/index.js';
import { InvalidArgumentError } from '../errors/index.js';
import type { Traces } from '../traces/index.js';
import type { BinningMethod } from './binning.js';
import { type ConfidenceMeasure, type ExitScores, scoreExits } from './confidence.js';
import { type CalibrationData, sumContentHashes, tracesContentHash } from './content-hash.js';
import { buildReliabilityDiagrams, mergeDiagrams, type ReliabilityDiagram } from './reliability-diagram.js';
import type { TunedOperatingPoint } from './tuned-point.js';

/** Current version of the `pcee-profile` format. */
export const PROFILE_VERSION = 1;

/** Which model a profile was calibrated for. */
export interface ProfileModelIdentity {
  /** Model id from its manifest, or null when calibrated from bare traces. */
  readonly id: string | null;
  /** Number of exits L. */
  readonly exits: number;
  /** Number of classes C. */
  readonly classes: number;
  /** Fingerprint of the model's stage files (see `modelFingerprint`), or null. */
  readonly fingerprint: string | null;
}

/**
 * A calibration profile: per-exit reliability diagrams measured on held-out data, plus
 * everything needed to use them (confidence measure, binning, costs, model identity).
 * Policies compile from it; profiles of disjoint shards merge by adding counts.
 */
export interface CalibrationProfile {
  readonly format: 'pcee-profile';
  readonly version: typeof PROFILE_VERSION;
  readonly model: ProfileModelIdentity;
  readonly confidence: ConfidenceMeasure;
  readonly binning: { readonly method: BinningMethod; readonly bins: number };
  readonly costs: ExitCosts;
  /** Validation samples counted. */
  readonly samples: number;
  /** One diagram per exit. */
  readonly diagrams: readonly ReliabilityDiagram[];
  /** Content hash of the calibration traces (optional; `tune` refuses them as holdout). */
  readonly calibrationData?: CalibrationData;
  /** The operating point chosen by `pcee tune` (optional; used when no δ is given). */
  readonly tuned?: TunedOperatingPoint;
}

/** Options of `calibrate`. */
export interface CalibrateOptions {
  /** Number of bins (default 15). */
  readonly bins?: number;
  /** `width` (default) or `mass`. */
  readonly binning?: BinningMethod;
  /** Confidence measure (default `max-softmax`). */
  readonly confidence?: ConfidenceMeasure;
  /** Cumulative exit costs; default: exit l costs l + 1. */
  readonly costs?: ExitCosts;
  /** Model identity (id and fingerprint) to record; default: anonymous. */
  readonly model?: { readonly id: string | null; readonly fingerprint: string | null };
  /** Already-scored traces, to avoid scoring twice (must use the same confidence measure). */
  readonly scores?: ExitScores;
  /**
   * Record `calibrationData` (the traces' content hash, see `tracesContentHash`) so that
   * `tune` can refuse this data as holdout. Off by default: hashing costs two to three times
   * as much as calibrating (`pcee calibrate` turns it on).
   */
  readonly recordContentHash?: boolean;
  /** SHA-256 for the content hash (see `tracesContentHash`): e.g. the platform's native one. */
  readonly sha256?: (bytes: Uint8Array) => Uint8Array;
}

/**
 * Calibrates: scores every head on the validation traces and builds one reliability
 * diagram per exit.
 */
export function calibrate(traces: Traces, options: CalibrateOptions = {}): CalibrationProfile {
  const confidence = options.confidence ?? 'max-softmax';
  const method = options.binning ?? 'width';
  const bins = options.bins ?? 15;
  const scores = options.scores ?? scoreExits(traces, confidence);
  const costs = validateCosts(options.costs ?? depthCosts(traces.exits), traces.exits);
  return {
    format: 'pcee-profile',
    version: PROFILE_VERSION,
    model: {
      id: options.model?.id ?? null,
      exits: traces.exits,
      classes: traces.classes,
      fingerprint: options.model?.fingerprint ?? null,
    },
    confidence,
    binning: { method, bins },
    costs,
    samples: traces.samples,
    diagrams: buildReliabilityDiagrams(scores, { bins, method }),
    ...(options.recordContentHash
      ? {
          calibrationData: {
            contentHash: tracesContentHash(traces, options.sha256),
            samples: traces.samples,
          },
        }
      : {}),
  };
}

/**
 * Merges profiles of disjoint validation shards into the profile of their union: exactly
 * (bit for bit) the profile of calibrating on all shards at once. `calibrationData` is kept
 * when every shard has it (content hashes add up, see `sumContentHashes`); a `tuned` point
 * is dropped, since it was chosen for one shard's bins.
 *
 * @throws InvalidArgumentError when they differ in model, confidence measure, binning or costs.
 */
export function mergeProfiles(profiles: readonly CalibrationProfile[]): CalibrationProfile {
  if (profiles.length === 0) throw new InvalidArgumentError('mergeProfiles needs at least one profile');
  const [first, ...rest] = profiles as [CalibrationProfile, ...CalibrationProfile[]];
  let samples = first.samples;
  let diagrams = first.diagrams;
  rest.forEach((next, index) => {
    const mismatch = describeProfileMismatch(first, next);
    if (mismatch) {
      throw new InvalidArgumentError(`cannot merge profile ${index + 1} into profile 0: ${mismatch}`);
    }
    samples += next.samples;
    diagrams = diagrams.map((diagram, exit) => mergeDiagrams(diagram, next.diagrams[exit]!));
  });
  const { tuned: _, calibrationData: __, ...shared } = first;
  const hashes = profiles.map((profile) => profile.calibrationData);
  const calibrationData = hashes.every((data) => data !== undefined)
    ? {
        contentHash: sumContentHashes(hashes.map((data) => data!.contentHash)),
        samples: hashes.reduce((sum, data) => sum + data!.samples, 0),
      }
    : undefined;
  return { ...shared, samples, diagrams, ...(calibrationData ? { calibrationData } : {}) };
}

/**
 * Why two profiles cannot be merged (model id or fingerprint, exits, classes, confidence
 * measure, binning, costs), as one clause with both values; undefined when they can.
 */
export function describeProfileMismatch(
  first: CalibrationProfile,
  second: CalibrationProfile,
): string | undefined {
  const pairs: [string, unknown, unknown][] = [
    ['model id', first.model.id, second.model.id],
    ['model fingerprint', first.model.fingerprint, second.model.fingerprint],
    ['exits', first.model.exits, second.model.exits],
    ['classes', first.model.classes, second.model.classes],
    ['confidence measure', first.confidence, second.confidence],
    ['binning', JSON.stringify(first.binning), JSON.stringify(second.binning)],
    ['costs', JSON.stringify(first.costs), JSON.stringify(second.costs)],
  ];
  for (const [what, a, b] of pairs) {
    if (a !== b)
      return `${what} differs (${a} vs ${b}); calibrate every shard with the same model and options`;
  }
  return undefined;
}
