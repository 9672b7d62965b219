import { DeviceUnavailableError, InvalidArgumentError } from '../errors/index.js';
import type { DeviceName, LoadOptions, RuntimeCapabilities } from './runtime-spec.js';

/**
 * Picks the device for `load`: the requested one if available; the first available one of a
 * preference list; else a `DeviceUnavailableError` naming what *is* available and why the
 * requested devices are not. Shared by every adapter so they all behave alike.
 */
export function selectDevice(
  capabilities: RuntimeCapabilities,
  requested: LoadOptions['device'],
): DeviceName {
  const known = capabilities.devices.map((device) => device.name);
  const wanted =
    requested === undefined ? [known[0]!] : typeof requested === 'string' ? [requested] : [...requested];
  if (wanted.length === 0) throw new InvalidArgumentError('device list is empty; name at least one device');
  for (const name of wanted) {
    if (!known.includes(name)) {
      throw new InvalidArgumentError(
        `unknown device "${name}" for ${capabilities.runtime}; use one of: ${known.join(', ')}`,
      );
    }
  }
  const chosen = wanted.find(
    (name) => capabilities.devices.find((device) => device.name === name)?.available,
  );
  if (chosen) return chosen;
  const available = capabilities.devices.filter((device) => device.available).map((device) => device.name);
  const reasons = wanted
    .map((name) => capabilities.devices.find((device) => device.name === name))
    .map((device) => `${device!.name}: ${device!.reason ?? 'not available'}`)
    .join('; ');
  throw new DeviceUnavailableError(
    `device ${wanted.map((name) => `"${name}"`).join(', ')} not available here (${reasons}); available: ${available.join(', ') || 'none'}`,
  );
}
