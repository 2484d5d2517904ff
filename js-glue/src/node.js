// jazzrpc for Node: loads ../dist/jazzrpc.wasm on import, so `core` is ready.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { init } from "./index.js";

export * from "./index.js";

const wasmURL = new URL("../dist/jazzrpc.wasm", import.meta.url);

async function readWasm() {
  try {
    return await readFile(wasmURL);
  } catch (error) {
    if (error?.code !== "ENOENT") throw error;
    throw new Error(`jazzrpc: ${fileURLToPath(wasmURL)} is missing; build it with \`make wasm\``, { cause: error });
  }
}

/** The initialized wasm core. */
export const core = await init(readWasm());
export { toNodeListener } from "./node-http.js";
