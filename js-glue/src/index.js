// jazzrpc: the runtime-neutral entry. Call init(source) once with the wasm
// (a WebAssembly.Module, bytes or a Response); then getCore() gives the core.
export { init, getCore } from "./wasm.js";
export { Core, ReplaySet } from "./core.js";
export { JazzRpcError, ALREADY_HANDLED, describeStatus } from "./errors.js";
// The JazzRPC API over the core.
export { experimental_defineRequest, defineRequest } from "./route.js";
export { JazzRequestError, isJazzRequestError } from "./request-error.js";
export { Account, startWorker } from "./account.js";
export { generateAuthToken, authenticateRequest } from "./auth.js";
export { MemoryReplayGuard, RedisReplayGuard, DenoKvReplayGuard } from "./guards.js";
