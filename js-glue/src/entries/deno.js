// jazzrpc for Deno: the wasm beside this package is read (--allow-read) and
// instantiated synchronously at import. `deno bundle` users: jazzrpc/deno/embedded.
import { initSync } from "../core/wasm.js";
import { useJazzPath } from "../rpc/route.js";

export * from "./default.js";

/** The wasm core, instantiated when this module was imported. */
export const core = initSync(Deno.readFileSync(new URL("../../dist/jazzrpc.wasm", import.meta.url)));

// The jazz-tools path, imported only when a jazz-tools Account is used.
useJazzPath(() => import(new URL("../jazz/path.js", import.meta.url).href));
