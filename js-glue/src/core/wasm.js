// The one core of a program: init() and initSync() make it once (instantiate.js), every
// path of the API gets it from here (getCore, or ready() where it may still load).
// Each runtime's entry point passes what it has: a WebAssembly.Module (Workers),
// bytes (Node, Deno), or a Response (browsers), or a promise of one.
import { instantiate, instantiateSync } from "./instantiate.js";

let pending = null; // the promise of the core, shared by every init() call
let core = null;
let loadDefault = null; // how this runtime's entry loads the wasm when nobody called init()
let runtimeHint = "import 'jazzrpc/node' (Node), 'jazzrpc/deno' (Deno) or 'jazzrpc/cloudflare' (Workers), or await init(source)";

/**
 * Instantiates the core once; later calls return the same Core (their source is ignored).
 * @param {WebAssembly.Module | BufferSource | Response | PromiseLike<WebAssembly.Module | BufferSource | Response>} source
 */
export function init(source) {
  if (core !== null) return Promise.resolve(core);
  pending ??= instantiate(source).then(
    (ready) => (core ??= ready),
    (error) => {
      pending = null; // a failed init may be retried
      throw error;
    },
  );
  return pending;
}

/**
 * Instantiates the core now, from a compiled module or the module's bytes: what
 * Node, Deno and Workers entries do at import, so that no entry awaits at top
 * level. Later calls return the same Core.
 * @param {WebAssembly.Module | BufferSource} source
 */
export function initSync(source) {
  if (core !== null) return core;
  core = instantiateSync(source);
  return core;
}

/**
 * How this runtime's entry loads the wasm by itself (a browser fetches it beside
 * the module), and what its "not initialized" message tells the user to do.
 * @param {() => any} load returns a source for init()
 * @param {string} hint
 */
export function setDefaultSource(load, hint) {
  loadDefault = load;
  if (hint) runtimeHint = hint;
}

/**
 * The core, loading it first where this runtime cannot do so at import (browsers).
 * Every async entry point of the API (send(), handle()) awaits it.
 * @returns {Promise<import("./core.js").Core>}
 */
export function ready() {
  if (core !== null) return Promise.resolve(core);
  if (pending) return pending;
  if (loadDefault) return init(loadDefault());
  return Promise.reject(new Error(`jazzrpc: the wasm core is not initialized: ${runtimeHint}`));
}

/** True once the core is loaded (always, at import, in Node, Deno and Workers). */
export const isReady = () => core !== null;

/** The initialized core; throws, naming this runtime's fix, when it is not loaded yet. */
export function getCore() {
  if (core === null) throw new Error(`jazzrpc: the wasm core is not initialized yet: ${runtimeHint}`);
  return core;
}
