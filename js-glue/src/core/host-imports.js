// The functions the module imports: WASI random_get from the host's CSPRNG, the browser
// core's JSON numbers, and a safe stub for anything else it declares (the core has no
// files, clock or env).

const ENOSYS = 52; // WASI errno: function not supported
const RANDOM_CHUNK = 65536; // crypto.getRandomValues fills at most 64 KiB per call

/**
 * The import object for a compiled jazzrpc module.
 * @param {WebAssembly.Module} module
 * @param {() => WebAssembly.Memory} getMemory the instance's memory, once it exists
 */
export function hostImports(module, getMemory) {
  const imports = {};
  for (const { module: namespace, name, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== "function") {
      throw new Error(`jazzrpc: the wasm module imports a ${kind} '${namespace}.${name}', which the glue does not provide`);
    }
    (imports[namespace] ??= {})[name] = hostFunction(namespace, name, getMemory);
  }
  return imports;
}

const ascii = new TextDecoder();

function hostFunction(namespace, name, getMemory) {
  if (namespace === "env" && name === "emscripten_notify_memory_growth") return () => {};
  // The browser core's JSON numbers (src/json.cpp, JAZZRPC_NUMBERS_FROM_HOST): the value of
  // a token of JSON's number grammar, which Number() reads as JSON.parse does.
  if (namespace === "env" && name === "jazzrpc_host_number") return (ptr, len) => Number(ascii.decode(new Uint8Array(getMemory().buffer, ptr >>> 0, len >>> 0)));
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
