import { randomUUID } from 'node:crypto';
import type { ServedModel } from '../models/served-model.js';
import { declaredSamples } from './declared-samples.js';
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
 * @throws ServeError (bad request, too large, overloaded, unavailable…); each transport maps its reason to a status.
 */
export async function answerInferRequest(
  model: ServedModel,
  body: unknown,
  limits: RequestLimits,
  raw: RawInputs = NO_RAW_INPUTS,
): Promise<AnsweredRequest> {
  model.scheduler.assertAccepting(declaredSamples(body));
  return answerParsedRequest(model, parseInferRequest(body, model.info, limits, raw));
}

/**
 * Runs an already validated request (decoded inline or by a protocol worker) and builds its
 * answer: the second half of `answerInferRequest`, after admission and validation.
 */
export async function answerParsedRequest(
  model: ServedModel,
  request: InferRequest,
): Promise<AnsweredRequest> {
  const outcome = await model.infer(request);
  const outputs = request.outputs ?? defaultOutputs(outcome.abstain);
  // Every response carries an id, so its labels can come back through /feedback.
  const id = request.id ?? randomUUID();
  model.recordAnswers(id, outcome);
  return { request, answer: buildInferAnswer(model.info, id, outputs, outcome) };
}
