import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from './user-error.js';

/**
 * Reads a whole file, turning file-system failures into one clear line
 * ("file not found: x.npz", "x is a folder, expected a file").
 */
export async function readInputFile(path: string, what = 'file'): Promise<Uint8Array> {
  try {
    const bytes = await readFile(path);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (error) {
    throw new UserError(describeFsError(error, path, what));
  }
}

/** Reads a whole text file with the same error handling as `readInputFile`. */
export async function readInputText(path: string, what = 'file'): Promise<string> {
  return new TextDecoder().decode(await readInputFile(path, what));
}

/**
 * Writes a file atomically: to a temporary file beside it, then renamed into place, so an
 * interrupted or failed write never leaves a half-written `--out` behind.
 */
export async function writeOutputFile(path: string, data: string | Uint8Array): Promise<void> {
  const target = resolve(path);
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const existing = await stat(target).catch(() => undefined);
    if (existing?.isDirectory())
      throw new UserError(`cannot write ${path}: it is a folder; give a file name for --out`);
    await writeFile(temporary, data);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    if (error instanceof UserError) throw error;
    throw new UserError(`cannot write ${path}: ${describeFsError(error, dirname(path), 'output folder')}`);
  }
}

function describeFsError(error: unknown, path: string, what: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return `${what} not found: ${path}`;
    case 'EISDIR':
      return `${path} is a folder, expected a ${what}`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied: ${path}`;
    case 'ENOTDIR':
      return `${path} is not a valid path (a part of it is a file)`;
    case 'EROFS':
      return `${path} is on a read-only file system`;
    default:
      return `${path}: ${(error as Error).message}`;
  }
}
