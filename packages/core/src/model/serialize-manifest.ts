import { parseManifest } from './model-manifest.js';

/**
 * The text of a `model.json` as every writer writes it (two-space JSON, final newline), after
 * checking that `parseManifest` reads it back: the one writer beside the one reader, so a tool
 * that builds a manifest (`pcee split`, `pcee attach --package`) cannot write one that the
 * runtimes then refuse.
 *
 * @param source where it will be written, for messages.
 * @throws InvalidManifestError naming the field that would not read back.
 */
export function serializeManifest(
  manifest: Readonly<Record<string, unknown>>,
  source = 'model.json',
): string {
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  parseManifest(text, source);
  return text;
}
