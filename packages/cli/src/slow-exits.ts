import {
  type CalibrationProfile,
  type ExitCosts,
  InvalidArgumentError,
  type LoadOptions,
  type ModelPackage,
  type TensorMap,
} from '@pcee/core';
import { type SlowExitChooser, slowExitChooser } from '@pcee/engine';
import { nodeRuntime } from '@pcee/runtime-node';
import { loadTraces } from './inputs.js';

/**
 * `--drop-slow-exits <traces>`: reads the validation traces and returns the engine's chooser
 * on onnxruntime-node.
 *
 * @throws InvalidArgumentError when the traces have another number of exits than the model.
 */
export async function slowExitChooserFromFlag(
  modelPackage: ModelPackage,
  load: LoadOptions,
  inputs: TensorMap,
  tracesPath: string,
  profile: CalibrationProfile,
  costs: ExitCosts,
): Promise<SlowExitChooser> {
  const traces = await loadTraces(tracesPath);
  const exits = modelPackage.manifest.stages.length;
  if (traces.exits !== exits) {
    throw new InvalidArgumentError(
      `--drop-slow-exits: ${tracesPath} has ${traces.exits} exits but model "${modelPackage.manifest.id}" has ${exits}; give validation traces of this model (pcee trace)`,
    );
  }
  return slowExitChooser(nodeRuntime, modelPackage, load, inputs, traces, profile, costs);
}
