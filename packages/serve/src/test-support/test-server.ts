import { modelDir } from '@pcee/models';
import { type RunningServer, type ServeOptions, startServer } from '../serve-server.js';
import { bundledProfile } from './bundled-models.js';

/** Starts a server on 127.0.0.1, a free port, for bundled model `id` at δ (no logs). Close it in afterAll. */
export function startTestServer(
  id: string,
  options: Partial<ServeOptions> = {},
  delta = 0.9,
): Promise<RunningServer> {
  return startServer({
    models: [{ dir: modelDir(id), profile: bundledProfile(id) }],
    delta,
    host: '127.0.0.1',
    port: 0,
    logger: false,
    ...options,
  });
}

/** POSTs a JSON text (or any body) to the model's infer route; resolves to status, headers and parsed JSON. */
export async function postInfer(
  server: RunningServer,
  model: string,
  body: string,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/v2/models/${model}/infer`, { method: 'POST', body, headers });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>,
  };
}

/** The named output's data from an OIP response body. */
export function outputData(json: Record<string, unknown>, name: string): number[] {
  const outputs = json.outputs as { name: string; data: number[] }[];
  const output = outputs.find((candidate) => candidate.name === name);
  if (!output) throw new Error(`response has no output "${name}": ${JSON.stringify(json).slice(0, 200)}`);
  return output.data;
}
