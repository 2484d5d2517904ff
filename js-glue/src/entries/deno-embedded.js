// jazzrpc for Deno programs that are bundled (`deno bundle --unstable-raw-imports`):
// the wasm is imported as bytes, so the bundle carries it and needs no file access.
import wasm from "../../dist/jazzrpc.wasm" with { type: "bytes" };
import { initSync } from "../core/wasm.js";

export * from "./default.js";

/** The wasm core, instantiated when this module was imported. */
export const core = initSync(wasm);
