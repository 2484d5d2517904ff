// Types of jazzrpc/node: everything in the main entry, plus the core loaded on import.
import type { Core } from "./index.js";
export * from "./index.js";
/** The wasm core, initialized from dist/jazzrpc.wasm when the module was imported. */
export const core: Core;

/**
 * node:http: a listener for http.createServer from a fetch handler
 * ((request) => Response, such as toFetchHandler(route, handler) makes). The body is
 * streamed through, so handle()'s size limit and deadline apply before anything is buffered.
 */
export function toNodeListener(
  fetchHandler: (request: Request) => Response | Promise<Response>,
): NodeListener;

/** A listener for http.createServer (declared loosely, so that @types/node is optional). */
export type NodeListener = (req: any, res: any) => Promise<void>;
