// Types of jazzrpc/node: everything in the main entry, plus the core loaded on import.
import type { Core } from "./index.js";
export * from "./index.js";
/** The wasm core, initialized from dist/jazzrpc.wasm when the module was imported. */
export const core: Core;
