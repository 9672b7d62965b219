import { BadRequestError } from '../errors/serve-error.js';

/**
 * Where the bytes of inputs sent as raw data come from: the REST binary extension's section
 * after the JSON header, gRPC's `raw_input_contents`, or nowhere (a plain JSON body).
 * `parseInferRequest` asks for each input in order, so every transport is decoded by the same
 * validation into the same `InferRequest`.
 */
export interface RawInputs {
  /**
   * The raw bytes of the input at `position`, or undefined when it is sent as JSON data.
   *
   * @param declaredBytes the input's `binary_data_size` parameter, when given (bytes, ≥ 0).
   * @throws BadRequestError when the bytes are missing or do not fit the declared size.
   */
  take(position: number, name: string, declaredBytes: number | undefined): Uint8Array | undefined;
  /** Checks that nothing was left over once every input was read. */
  finish(inputs: number): void;
}

/** A plain JSON body: no input may declare `binary_data_size`. */
export const NO_RAW_INPUTS: RawInputs = {
  take(_position, name, declaredBytes) {
    if (declaredBytes === undefined) return undefined;
    throw new BadRequestError(
      `input "${name}" declares binary_data_size but the body has no binary section; send the JSON header followed by the tensor bytes, with the header's length in the Inference-Header-Content-Length header`,
    );
  },
  finish() {},
};

/**
 * The REST binary extension: inputs with `binary_data_size` take that many bytes of the
 * section, one after the other in input order; the section must be used up exactly.
 *
 * @param section the body's bytes after the JSON header.
 */
export function binarySectionInputs(section: Uint8Array): RawInputs {
  let offset = 0;
  return {
    take(_position, name, declaredBytes) {
      if (declaredBytes === undefined) return undefined;
      if (offset + declaredBytes > section.byteLength) {
        throw new BadRequestError(
          `input "${name}" declares binary_data_size ${declaredBytes} at byte ${offset} of the binary section, but the section has only ${section.byteLength} bytes: the body is truncated or a size is wrong`,
        );
      }
      const bytes = section.subarray(offset, offset + declaredBytes);
      offset += declaredBytes;
      return bytes;
    },
    finish() {
      if (offset !== section.byteLength) {
        throw new BadRequestError(
          `the binary section has ${section.byteLength - offset} bytes after the last input's data (${section.byteLength} in all, ${offset} declared by binary_data_size); make the sizes add up to the section`,
        );
      }
    },
  };
}

/**
 * gRPC's `raw_input_contents`: one entry per input, in input order, or none at all (then every
 * input carries typed `contents`).
 */
export function rawContentsInputs(contents: readonly Uint8Array[]): RawInputs {
  return {
    take(position, name, declaredBytes) {
      if (contents.length === 0) return undefined;
      const bytes = contents[position];
      if (bytes === undefined) {
        throw new BadRequestError(
          `raw_input_contents has ${contents.length} entries but input "${name}" is input ${position + 1}; send one entry per input, in input order`,
        );
      }
      if (declaredBytes !== undefined && declaredBytes !== bytes.byteLength) {
        throw new BadRequestError(
          `input "${name}" declares binary_data_size ${declaredBytes} but its raw_input_contents has ${bytes.byteLength} bytes; leave binary_data_size out on gRPC`,
        );
      }
      return bytes;
    },
    finish(inputs) {
      if (contents.length > inputs) {
        throw new BadRequestError(
          `raw_input_contents has ${contents.length} entries for ${inputs} inputs; send one entry per input, in input order`,
        );
      }
    },
  };
}
