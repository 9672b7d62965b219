import { create } from '@bufbuild/protobuf';
import { dtypeOfElementType, elementTypeOfDtype, type OnnxDtype } from './dtypes.js';
import {
  type ModelProto,
  type TensorProto,
  TensorShapeProto_DimensionSchema,
  TensorShapeProtoSchema,
  TypeProto_TensorSchema,
  TypeProtoSchema,
  type ValueInfoProto,
  ValueInfoProtoSchema,
} from './onnx-proto.js';

/** A dimension: a size, or a symbol such as `"batch"` or `"sequence"` shared by tensors of a run. */
export type Dimension = number | string;

/** Element type and shape of a tensor; the shape is absent when unknown. */
export interface TensorType {
  readonly dtype: OnnxDtype;
  readonly shape?: readonly Dimension[];
}

/** Tensor types by tensor name. */
export type TensorTypes = ReadonlyMap<string, TensorType>;

/** The tensor type a `ValueInfoProto` declares, or undefined when it is not a tensor or has no type. */
export function typeOfValueInfo(info: ValueInfoProto): TensorType | undefined {
  const type = info.type?.value;
  if (type?.case !== 'tensorType') return undefined;
  const dtype = dtypeOfElementType(type.value.elemType);
  const shape = type.value.shape;
  if (!shape) return { dtype };
  return {
    dtype,
    shape: shape.dim.map((dimension, index): Dimension => {
      if (dimension.value.case === 'dimValue') return Number(dimension.value.value);
      if (dimension.value.case === 'dimParam') return dimension.value.value;
      return `unknown_${index}`;
    }),
  };
}

/** The tensor type of an initializer or a Constant's value. */
export function typeOfTensor(tensor: TensorProto): TensorType {
  return { dtype: dtypeOfElementType(tensor.dataType), shape: tensor.dims.map(Number) };
}

/** A `ValueInfoProto` for `name` of `type`; symbolic dimensions become `dim_param`. */
export function valueInfo(name: string, type: TensorType): ValueInfoProto {
  const shape =
    type.shape &&
    create(TensorShapeProtoSchema, {
      dim: type.shape.map((dimension) =>
        create(TensorShapeProto_DimensionSchema, {
          value:
            typeof dimension === 'number'
              ? { case: 'dimValue', value: BigInt(dimension) }
              : { case: 'dimParam', value: dimension },
        }),
      ),
    });
  return create(ValueInfoProtoSchema, {
    name,
    type: create(TypeProtoSchema, {
      value: {
        case: 'tensorType',
        value: create(TypeProto_TensorSchema, { elemType: elementTypeOfDtype(type.dtype), shape }),
      },
    }),
  });
}

/**
 * Every tensor type the model itself declares: graph inputs and outputs, `value_info`,
 * initializers and Constant nodes' values. Graphs exported without shape inference declare
 * few intermediate types; a probe run (see `probeTensorTypes`) fills in the rest.
 */
export function declaredTensorTypes(model: ModelProto): Map<string, TensorType> {
  const types = new Map<string, TensorType>();
  const graph = model.graph;
  if (!graph) return types;
  for (const info of [...graph.valueInfo, ...graph.output, ...graph.input]) {
    const type = typeOfValueInfo(info);
    if (type) types.set(info.name, type);
  }
  for (const tensor of graph.initializer) types.set(tensor.name, typeOfTensor(tensor));
  for (const node of graph.node) {
    if (node.opType !== 'Constant' || node.domain !== '' || node.output.length !== 1) continue;
    const value = node.attribute.find((attribute) => attribute.name === 'value')?.t;
    if (value) types.set(node.output[0]!, typeOfTensor(value));
  }
  return types;
}

/** Number of elements of a fully known shape (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dimension of shape) count *= dimension;
  return count;
}
