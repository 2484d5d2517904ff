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

/**
 * Instantiates the core once; later calls return the same Core (their source is ignored).
 * @param {WebAssembly.Module | BufferSource | Response | PromiseLike<WebAssembly.Module | BufferSource | Response>} source
 */
export function init(source) {
  pending ??= instantiate(source).then(
    (ready) => (core = ready),
    (error) => {
      pending = null; // a failed init may be retried
      throw error;
    },
  );
  return pending;
}

/** The initialized core; throws when init() has not completed. */
export function getCore() {
  if (core === null) {
    throw new Error("jazzrpc: the wasm core is not initialized; await init(source) first (or import 'jazzrpc/node')");
  }
  return core;
}

async function instantiate(source) {
  const module = await compile(await source);
  let memory = null;
  const instance = await WebAssembly.instantiate(module, hostImports(module, () => memory));
  const exports = instance.exports;
  for (const name of REQUIRED_EXPORTS) {
    if (!(name in exports)) throw new Error(`jazzrpc: the wasm module has no export '${name}' (a stale build? run make wasm)`);
  }
  memory = exports.memory;
  if (typeof exports._initialize === "function") exports._initialize(); // a standalone reactor's constructors
  const status = exports.jazzrpc_init();
  if (status < 0) {
    const error = JazzRpcError.fromStatus(-status);
    error.message = `jazzrpc: jazzrpc_init failed: ${error.message}`;
    throw error;
  }
  return new Core(exports);
}

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
  const got = source === null ? "null" : typeof source === "object" ? source.constructor?.name ?? "object" : typeof source;
  throw new TypeError(`jazzrpc: init(source) needs a WebAssembly.Module, bytes or a Response, got ${got}`);
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
