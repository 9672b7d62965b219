/**
 * A shallow copy of a protobuf-es message with some fields replaced. Unlike `{...message}` it
 * keeps the prototype, through which protobuf-es gives proto2 fields their defaults and tracks
 * which fields are set, so the copy reads and serializes like the original.
 */
export function withChanges<T extends object>(message: T, changes: Partial<T>): T {
  return Object.assign(Object.create(Object.getPrototypeOf(message)) as T, message, changes);
}
