import { BadRequestError } from '../http/http-errors.js';

/** A validated `POST /v2/models/{name}/feedback` body. */
export interface FeedbackRequest {
  /** The id of the inference request (as echoed in its response). */
  readonly id: string;
  /** True class index per sample of that request, in its order. */
  readonly labels: readonly number[];
}

/**
 * Checks a feedback body's shape: `{"id": "<request id>", "labels": [<int>, …]}` and nothing
 * else. Ranges are checked against the held answers by the feedback store.
 *
 * @throws BadRequestError (400) naming the field and the fix.
 */
export function parseFeedbackRequest(body: unknown): FeedbackRequest {
  const usage = 'send {"id": "<request id from the inference response>", "labels": [<class index>, …]}';
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError(`the feedback body must be a JSON object; ${usage}`);
  }
  const record = body as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => key !== 'id' && key !== 'labels');
  if (unknown.length > 0) {
    throw new BadRequestError(`unknown feedback field "${unknown[0]!.slice(0, 40)}"; ${usage}`);
  }
  if (typeof record.id !== 'string' || record.id === '') {
    throw new BadRequestError(
      `feedback "id" must be a non-empty string, got ${describe(record.id)}; ${usage}`,
    );
  }
  if (!Array.isArray(record.labels) || record.labels.length === 0) {
    throw new BadRequestError(
      `feedback "labels" must be a non-empty array, got ${describe(record.labels)}; ${usage}`,
    );
  }
  return { id: record.id, labels: record.labels as number[] };
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value).slice(0, 60);
}
