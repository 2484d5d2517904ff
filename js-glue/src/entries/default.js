// "jazzrpc" where no runtime condition matches: the whole API, with the wasm core
// loaded by init(source) (a WebAssembly.Module, bytes or a Response) or
// initSync(module or bytes). The runtime entries beside this file load it by
// themselves and export the same names.
export { init, initSync, ready, getCore } from "../core/wasm.js";
export { Core, ReplaySet, Signer } from "../core/core.js";
export { JazzRpcError, ALREADY_HANDLED, describeStatus } from "../core/errors.js";
// The JazzRPC API over the core.
export { experimental_defineRequest, defineRequest } from "../rpc/route.js";
export { JazzRequestError, isJazzRequestError } from "../rpc/request-error.js";
export { REASONS } from "../rpc/reasons.js";
export { Account, startWorker } from "../rpc/account.js";
export { toFetchHandler } from "../adapters/fetch.js";
export { generateAuthToken, authenticateRequest } from "../rpc/auth.js";
// OpenTelemetry traces and metrics: instrument(api) where @opentelemetry/api is not loaded by itself (Workers, browsers, bundles).
export { instrument } from "../rpc/telemetry.js";
// Replay guards: one instance, Redis (Node), Deno KV (Deno). Workers: jazzrpc/cloudflare.
export { MemoryReplayGuard } from "../guards/memory.js";
export { RedisReplayGuard } from "../guards/redis.js";
export { DenoKvReplayGuard } from "../guards/deno-kv.js";
