import { create } from '@bufbuild/protobuf';
import { type AttributeProto, AttributeProto_AttributeType, AttributeProtoSchema } from './onnx-proto.js';

/** An integer (`INT`) or integer-list (`INTS`) node attribute, e.g. `axes` or `keepdims`. */
export function intAttribute(name: string, value: number | readonly number[]): AttributeProto {
  if (typeof value !== 'number') {
    return create(AttributeProtoSchema, {
      name,
      type: AttributeProto_AttributeType.INTS,
      ints: value.map(BigInt),
    });
  }
  return create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(value) });
}
