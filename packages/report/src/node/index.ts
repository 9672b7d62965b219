/**
 * `@pcee/report/node`: what drawing the report's charts needs outside a browser. The charts
 * and the page themselves come from `@pcee/report`; pass `{ document: serverDocument() }`.
 *
 * @packageDocumentation
 */
export { serverDocument } from './server-document.js';
