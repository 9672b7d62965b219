/**
 * The sample count a request body declares (its first input's first dimension), or 1: what
 * admission control counts against the queue before the body is validated.
 */
export function declaredSamples(body: unknown): number {
  const samples = (body as { inputs?: { shape?: unknown[] }[] } | null)?.inputs?.[0]?.shape?.[0];
  return typeof samples === 'number' && Number.isInteger(samples) && samples > 0 ? samples : 1;
}
