import type { ServeOptions } from '../serve-server.js';

/**
 * The server's two ways of doing protocol work, for suites that must pass in both: inline on
 * the main thread, and two protocol workers that get every body and answer (no size threshold),
 * so the worker path is the one tested.
 */
export const WORKER_MODES: readonly { readonly mode: string; readonly options: Partial<ServeOptions> }[] = [
  { mode: 'inline (workers 0)', options: { workers: 0 } },
  {
    mode: 'workers 2',
    options: { workers: 2, workerOptions: { minJsonBytes: 0, minRawBytes: 0, minAnswerValues: 0 } },
  },
];
