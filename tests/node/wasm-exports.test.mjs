// init() refuses a module that lacks an export the glue calls (a stale build): the list
// it checks (js-glue/src/core/abi.js) is the module's whole export list (wasm/exports.txt),
// and the built module has every one of them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { REQUIRED_EXPORTS } from "../../js-glue/src/core/abi.js";

const root = new URL("../../", import.meta.url);
const listed = readFileSync(new URL("wasm/exports.txt", root), "utf8").split("\n").map((l) => l.trim()).filter(Boolean);

test("REQUIRED_EXPORTS names every export of wasm/exports.txt, and nothing else but memory", () => {
  assert.deepEqual([...REQUIRED_EXPORTS].filter((n) => n !== "memory").sort(), [...listed].sort());
});

test("the built module exports every required name", async () => {
  const module = await WebAssembly.compile(readFileSync(new URL("js-glue/dist/jazzrpc.wasm", root)));
  const names = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
  for (const name of REQUIRED_EXPORTS) assert.ok(names.has(name), `${name} missing from js-glue/dist/jazzrpc.wasm`);
});
