// jazzrpc in browsers (the "browser" export condition): the same API, and the wasm
// fetched from beside this module the first time it is needed. Bundlers (Vite,
// webpack, Next.js) see `new URL("…/jazzrpc.wasm", import.meta.url)` and copy the
// file into the build. Account.create() works at once; send() awaits the core.
// To host the wasm elsewhere, call init(fetch(yourUrl)) before the first send().
import { setDefaultSource } from "../core/wasm.js";

export * from "./default.js";

setDefaultSource(
  () => fetch(new URL("../../dist/jazzrpc.wasm", import.meta.url)),
  "in a browser it loads on the first send(); await ready() before reading an account's id or calling the core yourself",
);
