import { randomUUID } from 'node:crypto';
import type { ServedModel } from '../models/served-model.js';
import { defaultOutputs, type InferRequest, parseInferRequest, type RequestLimits } from './infer-request.js';
import { buildInferAnswer, type InferAnswer } from './infer-response.js';
import { NO_RAW_INPUTS, type RawInputs } from './raw-inputs.js';

/** A request and its answer, for the transport to encode. */
export interface AnsweredRequest {
  readonly request: InferRequest;
  readonly answer: InferAnswer;
}

/**
 * Answers one inference request on any transport (REST JSON, REST binary, gRPC): refuses
 * what could not be admitted before validating it, validates with `parseInferRequest`, runs
 * the model, gives the answer an id (the client's, else a new UUID) and holds it for label
 * feedback under that id. The transports only decode into `body` + `raw` and encode the answer.
 *
 * @param body the request in the OIP JSON shape (a gRPC request is converted to it).
 * @throws HttpError (400/413/429/503…) as the REST API answers it; gRPC maps the status.
 */
export async function answerInferRequest(
  model: ServedModel,
  body: unknown,
  limits: RequestLimits,
  raw: RawInputs = NO_RAW_INPUTS,
): Promise<AnsweredRequest> {
  model.scheduler.assertAccepting(declaredSamples(body));
  const request = parseInferRequest(body, model.info, limits, raw);
  const outcome = await model.infer(request);
  const outputs = request.outputs ?? defaultOutputs(outcome.abstain);
  // Every response carries an id, so its labels can come back through /feedback.
  const id = request.id ?? randomUUID();
  model.recordAnswers(id, outcome);
  return { request, answer: buildInferAnswer(model.info, id, outputs, outcome) };
}

/** The sample count a request body declares (its first input's first dimension), or 1. */
function declaredSamples(body: unknown): number {
  const samples = (body as { inputs?: { shape?: unknown[] }[] } | null)?.inputs?.[0]?.shape?.[0];
  return typeof samples === 'number' && Number.isInteger(samples) && samples > 0 ? samples : 1;
}
