declare const __PCEE_VERSION__: string | undefined;

/** The version of `@pcee/cli` as written into reports (tsup may define `__PCEE_VERSION__`). */
export const TOOL_VERSION = typeof __PCEE_VERSION__ === 'string' ? __PCEE_VERSION__ : '0.1.0';
