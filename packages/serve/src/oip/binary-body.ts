import { BadRequestError } from '../errors/serve-error.js';

/** A request body split per the binary tensor extension. */
export interface SplitBody {
  /** The JSON header, parsed. */
  readonly header: unknown;
  /** The bytes after it (the inputs' binary data, in input order); empty for a JSON body. */
  readonly section: Uint8Array;
}

/**
 * Splits a REST body per the binary tensor data extension (Triton, KServe): the first
 * `Inference-Header-Content-Length` bytes are the JSON request, the rest is the binary
 * section. Without that header the whole body is JSON, whatever its content type.
 *
 * @param headerLength the header's value as received (undefined when absent).
 * @throws BadRequestError for a header length that is not a byte count within the body.
 * @throws SyntaxError for a JSON header that does not parse (answered 400 as any bad JSON).
 */
export function splitBinaryBody(body: Buffer, headerLength: string | string[] | undefined): SplitBody {
  if (headerLength === undefined) {
    return { header: JSON.parse(body.toString('utf8')), section: new Uint8Array(0) };
  }
  const text = Array.isArray(headerLength) ? headerLength.join(',') : headerLength;
  const length = /^\d{1,15}$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isInteger(length)) {
    throw new BadRequestError(
      `Inference-Header-Content-Length is ${JSON.stringify(text.slice(0, 40))}; send the JSON header's length in bytes as one integer`,
    );
  }
  if (length > body.byteLength) {
    throw new BadRequestError(
      `Inference-Header-Content-Length is ${length} but the body has only ${body.byteLength} bytes; send the JSON header's length in bytes, then the header, then the tensor bytes`,
    );
  }
  return {
    header: JSON.parse(body.toString('utf8', 0, length)),
    section: body.subarray(length),
  };
}
