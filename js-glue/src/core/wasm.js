// The loader: instantiates the standalone jazzrpc.wasm (built with
// `emcc -sSTANDALONE_WASM --no-entry`) with imports of our own, no Emscripten JS.
// Each runtime's entry point passes what it has: a WebAssembly.Module (Workers),
// bytes (Node, Deno), or a Response (browsers), or a promise of one.
import { Core, REQUIRED_EXPORTS } from "./core.js";
import { JazzRpcError } from "./errors.js";

const ENOSYS = 52; // WASI errno: function not supported
const RANDOM_CHUNK = 65536; // crypto.getRandomValues fills at most 64 KiB per call

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
  const module = source instanceof WebAssembly.Module ? source : new WebAssembly.Module(bytesOf(source));
  let memory = null;
  const instance = new WebAssembly.Instance(module, hostImports(module, () => memory));
  memory = instance.exports.memory;
  core = start(instance.exports);
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
 * @returns {Promise<Core>}
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

async function instantiate(source) {
  const module = await compile(await source);
  let memory = null;
  const instance = await WebAssembly.instantiate(module, hostImports(module, () => memory));
  memory = instance.exports.memory;
  return start(instance.exports);
}

// Checks the exports, runs the module's constructors and jazzrpc_init.
function start(exports) {
  for (const name of REQUIRED_EXPORTS) {
    if (!(name in exports)) throw new Error(`jazzrpc: the wasm module has no export '${name}' (a stale build? run make wasm)`);
  }
  if (typeof exports._initialize === "function") exports._initialize(); // a standalone reactor's constructors
  const status = exports.jazzrpc_init();
  if (status < 0) {
    const error = JazzRpcError.fromStatus(-status);
    error.message = `jazzrpc: jazzrpc_init failed: ${error.message}`;
    throw error;
  }
  return new Core(exports);
}

function bytesOf(source) {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return source;
  throw new TypeError(`jazzrpc: initSync(source) needs a WebAssembly.Module or bytes, got ${describe(source)}`);
}

const describe = (x) => (x === null ? "null" : typeof x === "object" ? x.constructor?.name ?? "object" : typeof x);

async function compile(source) {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
  if (source && typeof source.arrayBuffer === "function") {
    // a Response (or a Blob)
    if (source.ok === false) throw new Error(`jazzrpc: could not load the wasm: HTTP ${source.status} ${source.statusText ?? ""}`.trim());
    const type = source.headers?.get?.("Content-Type")?.split(";")[0].trim();
    if (type === "application/wasm" && typeof WebAssembly.compileStreaming === "function") {
      return WebAssembly.compileStreaming(source);
    }
    return WebAssembly.compile(await source.arrayBuffer());
  }
  throw new TypeError(`jazzrpc: init(source) needs a WebAssembly.Module, bytes or a Response, got ${describe(source)}`);
}

// The functions the module imports: WASI random_get from the host's CSPRNG, and a
// safe stub for anything else it declares (the core has no files, clock or env).
function hostImports(module, getMemory) {
  const imports = {};
  for (const { module: namespace, name, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== "function") {
      throw new Error(`jazzrpc: the wasm module imports a ${kind} '${namespace}.${name}', which the glue does not provide`);
    }
    (imports[namespace] ??= {})[name] = hostFunction(namespace, name, getMemory);
  }
  return imports;
}

function hostFunction(namespace, name, getMemory) {
  if (namespace === "env" && name === "emscripten_notify_memory_growth") return () => {};
  if (namespace !== "wasi_snapshot_preview1") return () => ENOSYS;
  switch (name) {
    case "random_get":
      return (ptr, len) => {
        try {
          for (let offset = 0; offset < len; offset += RANDOM_CHUNK) {
            const size = Math.min(RANDOM_CHUNK, len - offset);
            globalThis.crypto.getRandomValues(new Uint8Array(getMemory().buffer, (ptr >>> 0) + offset, size));
          }
          return 0;
        } catch (cause) {
          // The core must never go on without randomness: the error stops the call,
          // with a reason instead of the trap the core raises when random_get fails.
          throw new Error(
            "jazzrpc: no randomness from crypto.getRandomValues (in a Worker, create accounts and keys inside a request handler, not at module top level)",
            { cause },
          );
        }
      };
    case "proc_exit":
      return (code) => {
        throw new Error(`jazzrpc: the wasm core called proc_exit(${code})`);
      };
    case "environ_sizes_get":
    case "args_sizes_get":
      return (countPtr, sizePtr) => {
        const view = new DataView(getMemory().buffer);
        view.setUint32(countPtr >>> 0, 0, true);
        view.setUint32(sizePtr >>> 0, 0, true);
        return 0;
      };
    case "environ_get":
    case "args_get":
      return () => 0; // zero entries: nothing to write
    default:
      return () => ENOSYS; // fd_write, fd_close, fd_seek, clock_time_get (the core has no clock), …
  }
}
