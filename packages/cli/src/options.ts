import { InvalidArgumentError as CommanderInvalidArgument } from 'commander';

/** Commander parser for a positive integer option (`--bins 15`). */
export function positiveInteger(name: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1) {
      throw new CommanderInvalidArgument(`${name} must be a positive integer, got "${value}"`);
    }
    return parsed;
  };
}

/** Commander parser for a comma list of positive integers (`--batch 1,64`). */
export function positiveIntegerList(name: string): (value: string) => number[] {
  const one = positiveInteger(name);
  return (value) => value.split(',').map((part) => one(part.trim()));
}
