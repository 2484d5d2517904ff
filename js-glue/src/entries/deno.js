// jazzrpc for Deno: the wasm beside this package is read (--allow-read) and
// instantiated synchronously at import. `deno bundle` users: jazzrpc/deno/embedded.
import { initSync } from "../core/wasm.js";
import { useJazzPath } from "../rpc/route.js";
import { useTelemetryLoader } from "../rpc/telemetry.js";

export * from "./default.js";

/** The wasm core, instantiated when this module was imported. */
export const core = initSync(Deno.readFileSync(new URL("../../dist/jazzrpc.wasm", import.meta.url)));

// The jazz-tools path, imported only when a jazz-tools Account is used.
useJazzPath(() => import(new URL("../jazz/path.js", import.meta.url).href));

// OpenTelemetry: @opentelemetry/api (an optional peer, npm:@opentelemetry/api) imported on the first
// handle() or send(), if it resolves. `deno bundle` users: jazzrpc/deno/embedded and instrument(api).
const OTEL_API = "@opentelemetry/api";
useTelemetryLoader(() => import(OTEL_API));
