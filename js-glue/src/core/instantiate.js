// From a source to a started Core: compile the standalone jazzrpc.wasm or the browser
// core jazzrpc-client.wasm (built with `emcc -sSTANDALONE_WASM --no-entry`), instantiate it with imports of our own
// (host-imports.js, no Emscripten JS), check its exports, run its constructors and
// jazzrpc_init. A source is a WebAssembly.Module (Workers), bytes (Node, Deno), or a
// Response (browsers), or a promise of one.
import { Core } from "./core.js";
import { CLIENT_EXPORTS, SERVER_EXPORTS } from "./abi.js";
import { JazzRpcError } from "./errors.js";
import { hostImports } from "./host-imports.js";

/**
 * @param {WebAssembly.Module | BufferSource | Response | PromiseLike<WebAssembly.Module | BufferSource | Response>} source
 * @returns {Promise<Core>}
 */
export async function instantiate(source) {
  const module = await compile(await source);
  let memory = null;
  const instance = await WebAssembly.instantiate(module, hostImports(module, () => memory));
  memory = instance.exports.memory;
  return start(instance.exports);
}

/**
 * The same, now, from a compiled module or the module's bytes.
 * @param {WebAssembly.Module | BufferSource} source
 * @returns {Core}
 */
export function instantiateSync(source) {
  const module = source instanceof WebAssembly.Module ? source : new WebAssembly.Module(bytesOf(source));
  let memory = null;
  const instance = new WebAssembly.Instance(module, hostImports(module, () => memory));
  memory = instance.exports.memory;
  return start(instance.exports);
}

// Checks the exports, runs the module's constructors and jazzrpc_init.
function start(exports) {
  const stale = (name) => new Error(`jazzrpc: the wasm module has no export '${name}' (a stale build? run make wasm)`);
  for (const name of CLIENT_EXPORTS) if (!(name in exports)) throw stale(name);
  // The browser core lacks every server export; a module lacking only some is a stale build.
  const absent = SERVER_EXPORTS.filter((name) => !(name in exports));
  if (absent.length > 0 && absent.length < SERVER_EXPORTS.length) throw stale(absent[0]);
  if (typeof exports._initialize === "function") exports._initialize(); // a standalone reactor's constructors
  const status = exports.jazzrpc_init();
  if (status < 0) {
    const error = JazzRpcError.fromStatus(-status);
    error.message = `jazzrpc: jazzrpc_init failed: ${error.message}`;
    throw error;
  }
  return absent.length === 0 ? new Core(exports, "server") : new Core(withoutServerExports(exports), "browser");
}

/**
 * The browser core's exports, with each server export answering what to do: the API
 * stays whole, and a server path called in a page (handle(), a replay guard, the
 * jazz-tools format) says which core it needs instead of "is not a function".
 */
function withoutServerExports(exports) {
  const all = { ...exports };
  for (const name of SERVER_EXPORTS) {
    all[name] = () => {
      throw new JazzRpcError(
        "ERR_SERVER_CORE",
        500,
        `jazzrpc: ${name.slice("jazzrpc_".length)} is not in the browser core (jazzrpc-client.wasm), which signs requests and checks answers only; ` +
          'for server code in a page (handle(), replay sets, the jazz-tools format), load the server core before the first send(): await init(fetch(serverCoreUrl)), the URL your bundler gives the package\'s "jazzrpc/jazzrpc.wasm" (Vite: import serverCoreUrl from "jazzrpc/jazzrpc.wasm?url")',
      );
    };
  }
  return Object.freeze(all);
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
