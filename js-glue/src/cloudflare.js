// jazzrpc for Cloudflare Workers (workerd). workerd refuses to compile wasm from
// bytes, so the core is imported as a module (wrangler's default rule for .wasm
// is CompiledWasm; with Miniflare, give a CompiledWasm rule) and instantiated on import.
//
// Instantiating is allowed at the top level; generating random values is not, so
// Account.create() and send() belong inside fetch() or a Durable Object method.
import wasm from "../dist/jazzrpc.wasm";
import { init } from "./wasm.js";

export * from "./index.js";
export { ReplayGuardDurableObject, durableObjectReplayGuard } from "./cloudflare-replay.js";

/** The wasm core, instantiated when this module was imported. */
export const core = await init(wasm);
