// jazzrpc for Deno: loads the wasm next to this package and initialises the core.
// (`deno bundle` users: see README, "Deno": pass the wasm to init() yourself.)
import { init } from "./wasm.js";

export * from "./index.js";

export const core = await init(Deno.readFile(new URL("../dist/jazzrpc.wasm", import.meta.url)));
