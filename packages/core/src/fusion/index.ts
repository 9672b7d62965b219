/** Which exits stay live at δ and which stages run as one graph: fusion plans, exit overheads and drops. */
export {
  chooseExitDrops,
  type DropCandidate,
  type DropOutcome,
  type ExitDropChoice,
  type ExitDropOptions,
} from './exit-drops.js';
export { type ExitOverheads, measuredExitOverheads, type OverheadMeasurement } from './exit-overheads.js';
export { costsWithoutExits, fusedExitCosts, headOverheads, withBoundaryCosts } from './fusion-costs.js';
export { type FusionPlan, fusedPolicy, fusesAnything, planFusion } from './fusion-plan.js';
export { planOfLiveExits, withLiveExit } from './plan-of-live-exits.js';
