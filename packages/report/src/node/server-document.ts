import { parseHTML } from 'linkedom';

let shared: Document | undefined;

/**
 * A light DOM document (linkedom) for drawing the report's charts in Node: Observable Plot
 * builds charts with DOM calls, and its SVG markup is all a page needs (no script). One
 * document serves every chart, since Plot only creates detached elements in it; it is made on
 * first use, so importing this module costs nothing.
 */
export function serverDocument(): Document {
  shared ??= parseHTML('<!doctype html><html><head></head><body></body></html>')
    .document as unknown as Document;
  return shared;
}
