// jazzrpc for Deno programs that are bundled (`deno bundle --unstable-raw-imports`):
// the wasm is imported as bytes, so the bundle carries it and needs no file access.
import wasm from "../dist/jazzrpc.wasm" with { type: "bytes" };
import { init } from "./wasm.js";

export * from "./index.js";

export const core = await init(wasm);
