import { cpus } from 'node:os';

/** This machine's CPU model, for the measurement record (null when the OS does not say). */
export function hostCpuModel(): string | null {
  const model = cpus()[0]?.model?.replace(/\s+/g, ' ').trim();
  return model ? model : null;
}
