/** Calibration: confidence, binning, reliability diagrams, isotonic smoothing, profiles and their JSON. */
export {
  assertBinCount,
  BINNING_METHODS,
  type BinningMethod,
  binIndex,
  binLookup,
  DEFAULT_BINS,
  equalMassEdges,
  equalWidthBinIndex,
  equalWidthEdges,
  isEqualWidth,
} from './binning.js';
export {
  type CalibrateOptions,
  type CalibrationProfile,
  calibrate,
  describeProfileMismatch,
  mergeProfiles,
  PROFILE_VERSION,
  type ProfileModelIdentity,
} from './calibration-profile.js';
export {
  assertConfidenceMeasure,
  CONFIDENCE_MEASURES,
  type ConfidenceMeasure,
  type ExitScores,
  rowArgmax,
  rowConfidence,
  scoreExits,
} from './confidence.js';
export { type CalibrationData, sumContentHashes, tracesContentHash } from './content-hash.js';
export { isotonicRegression, smoothedBinAccuracy } from './isotonic.js';
export {
  assertPolicyName,
  POLICY_NAMES,
  type PolicyName,
  parsePolicyNames,
  type ThresholdPolicyName,
} from './policy-names.js';
export { assertProfileMatches, type ProfileTarget } from './profile-compatibility.js';
export { parseProfile, serializeProfile } from './profile-json.js';
export {
  type BinningOptions,
  binAccuracy,
  binConfidence,
  buildReliabilityDiagrams,
  type CalibrationSummary,
  emptyDiagram,
  mergeDiagrams,
  type ReliabilityDiagram,
  summarizeDiagram,
} from './reliability-diagram.js';
export {
  describeGuarantee,
  type TunedGuarantee,
  type TunedHoldout,
  type TunedOperatingPoint,
} from './tuned-point.js';
