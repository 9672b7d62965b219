import type { CompiledPolicy } from '@pcee/core';

/**
 * `compiled` with every exit but the last closed: each sample runs to the final exit and is
 * answered there (`answer` true) or answered "abstain" there (`answer` false, with abstention
 * on). The estimated accuracies and edges stay, so responses still report the last exit's.
 */
export function finalExitPolicy(compiled: CompiledPolicy, answer: boolean): CompiledPolicy {
  const last = compiled.tables.length - 1;
  return {
    ...compiled,
    tables: compiled.tables.map((table, exit) =>
      exit === last ? table : { ...table, exit: new Uint8Array(table.exit.length) },
    ),
    lastExitAnswers: new Uint8Array(compiled.tables[last]!.exit.length).fill(answer ? 1 : 0),
  };
}
