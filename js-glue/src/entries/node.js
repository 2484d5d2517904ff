// jazzrpc for Node: the wasm beside this package is compiled and instantiated
// synchronously at import (no top-level await, so require("jazzrpc/node") works).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { initSync } from "../core/wasm.js";
import { useJazzPath } from "../rpc/route.js";
import { useTelemetryLoader } from "../rpc/telemetry.js";

export * from "./default.js";
export { toNodeListener } from "../adapters/node-http.js";
export { postgresExactlyOnce } from "../guards/postgres.js";

const wasmURL = new URL("../../dist/jazzrpc.wasm", import.meta.url);

function readWasm() {
  try {
    return readFileSync(wasmURL);
  } catch (error) {
    if (error?.code !== "ENOENT") throw error;
    throw new Error(`jazzrpc: ${fileURLToPath(wasmURL)} is missing (a source checkout builds it with \`make wasm\`)`, { cause: error });
  }
}

/** The wasm core, instantiated when this module was imported. */
export const core = initSync(readWasm());

// The jazz-tools path, imported only when a jazz-tools Account is used (bundles: import "jazzrpc/jazz").
useJazzPath(() => import(/* webpackIgnore: true */ /* @vite-ignore */ new URL("../jazz/path.js", import.meta.url).href));

// OpenTelemetry: @opentelemetry/api (an optional peer) imported on the first handle() or send(), if
// installed; a computed specifier, so that bundlers neither resolve nor require it. Bundles: instrument(api).
const OTEL_API = "@opentelemetry/api";
useTelemetryLoader(() => import(/* webpackIgnore: true */ /* @vite-ignore */ OTEL_API));
