/** Exit policies: compiled decision tables, δ lists and sweeps, evaluation, threshold search. */
export { type BatchDecisions, decideBatch } from './decide-batch.js';
export { parseDeltaList } from './delta-list.js';
export { rowExitScores, sweepDeltas, sweepPolicies } from './delta-sweep.js';
export {
  type AbstainOptions,
  evaluateExits,
  evaluateFullModel,
  evaluateOracle,
  evaluatePolicy,
  oracleExits,
  type PolicyEvaluation,
  simulateAbstentions,
  simulateExits,
  summarize,
} from './evaluation.js';
export {
  assertDelta,
  binExitScores,
  type CompiledPolicy,
  compilePolicy,
  decideExit,
  type ExitDecision,
  type ExitTable,
} from './policy.js';
export {
  candidateDeltas,
  cheapestDeltaForAccuracy,
  mostAccurateDeltaWithinBudget,
  paretoFront,
  type SearchOptions,
} from './threshold-search.js';
