// jazzrpc for Cloudflare Workers (workerd). workerd refuses to compile wasm from
// bytes, so the core is imported as a module (wrangler's default rule for .wasm
// is CompiledWasm; with Miniflare, give a CompiledWasm rule) and instantiated on
// import, synchronously. Nothing here imports by a computed specifier.
//
// Instantiating is allowed at the top level; generating random values is not, so
// Account.create() and send() belong inside fetch() or a Durable Object method.
import wasm from "../../dist/jazzrpc.wasm";
import { initSync } from "../core/wasm.js";

export * from "./default.js";
export { ReplayGuardDurableObject, durableObjectReplayGuard, exactlyOnce } from "../guards/durable-object.js";

/** The wasm core, instantiated when this module was imported. */
export const core = initSync(wasm);
