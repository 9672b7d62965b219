import { InvalidArgumentError, InvalidManifestError, type ModelPackage, parseManifest } from '@pcee/core';
import { manifestDigests, verifiedFile } from './verified-file.js';

/** Options of `openModelPackageFromUrl`. */
export interface UrlPackageOptions {
  /** The fetch to use (default: the global `fetch`), e.g. one that adds auth headers. */
  readonly fetch?: typeof fetch;
  /** Request options for every file (credentials, cache mode, headers). */
  readonly request?: RequestInit;
}

/**
 * Opens a model package served over HTTP: fetches and validates `<baseUrl>/model.json` now;
 * stage files are fetched when `readFile` asks for them, and checked against the sha256 the
 * manifest records before they are returned.
 *
 * @param baseUrl the package folder's URL, absolute or (in a page) relative to the page,
 *   e.g. `"/models/fmnist-cnn-large/"`; a missing trailing slash is added.
 * @throws InvalidArgumentError for a relative URL where there is no page to resolve it against.
 * @throws InvalidManifestError when model.json cannot be fetched or is malformed.
 */
export async function openModelPackageFromUrl(
  baseUrl: string | URL,
  options: UrlPackageOptions = {},
): Promise<ModelPackage> {
  const base = folderUrl(baseUrl);
  const fetchFile = options.fetch ?? globalThis.fetch;
  const get = async (name: string, what: string): Promise<Response> => {
    const url = new URL(name, base).href;
    let response: Response;
    try {
      response = await fetchFile(url, options.request);
    } catch (error) {
      throw new InvalidManifestError(`${url} cannot be fetched (${(error as Error).message}); ${what}`, {
        cause: error,
      });
    }
    if (!response.ok) {
      throw new InvalidManifestError(
        `${url} answered HTTP ${response.status} ${response.statusText}; ${what}`,
      );
    }
    return response;
  };
  const manifestUrl = new URL('model.json', base).href;
  const text = await (
    await get('model.json', 'serve the model package folder (model.json and its stage .onnx files) there')
  ).text();
  const manifest = parseManifest(text, manifestUrl);
  const digests = manifestDigests(manifest);
  return {
    manifest,
    location: base.href,
    async readFile(name: string) {
      const response = await get(name, 'the file is listed in model.json; serve it next to model.json');
      const bytes = new Uint8Array(await response.arrayBuffer());
      return verifiedFile(manifest, digests, name, new URL(name, base).href, bytes);
    },
  };
}

/** The folder URL with a trailing slash, so `new URL(file, folder)` stays inside it. */
function folderUrl(baseUrl: string | URL): URL {
  const text = String(baseUrl);
  const withSlash = text.endsWith('/') ? text : `${text}/`;
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    return new URL(withSlash, page);
  } catch {
    throw new InvalidArgumentError(
      `model package URL "${text}" is relative and there is no page to resolve it against; pass an absolute URL (https://…/)`,
    );
  }
}
