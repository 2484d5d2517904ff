// jazzrpc in browsers (the "browser" export condition): the same API, and the browser
// core (dist/jazzrpc-client.wasm: keys, signing requests, checking answers; half the
// server core's size) fetched from beside this module the first time it is needed.
// Bundlers (Vite, webpack, Next.js) see `new URL("…/jazzrpc-client.wasm", import.meta.url)`
// and copy the file into the build. Account.create() works at once; send() awaits the core.
// To host the wasm elsewhere, call init(fetch(yourUrl)) before the first send(); for
// server code in a page (handle(), replay guards, the jazz-tools format), init() with the
// server core, the package's "jazzrpc/jazzrpc.wasm" (Vite: import url from "jazzrpc/jazzrpc.wasm?url").
import { setDefaultSource } from "../core/wasm.js";

export * from "./default.js";

setDefaultSource(
  () => fetch(new URL("../../dist/jazzrpc-client.wasm", import.meta.url)),
  "in a browser it loads on the first send(); await ready() before reading an account's id or calling the core yourself",
);
