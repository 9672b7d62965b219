/** A user mistake the CLI itself detects (a missing file, an unwritable --out): one line, exit 1. */
export class UserError extends Error {
  override name = 'UserError';
}
