// The README's runnable blocks (```js file=NAME) are each run by a consumer test: every one
// is in harness.mjs README_FILES, so a block added to the README without a consumer fails here.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileBlocks } from "../docs/blocks.mjs";
import { README, README_FILES } from "./harness.mjs";

test("every runnable block of README.md is run by a consumer test", (t) => {
  const blocks = Object.keys(fileBlocks(README));
  const run = new Set(Object.values(README_FILES).flatMap((files) => Object.keys(files)));
  for (const [consumer, files] of Object.entries(README_FILES)) t.diagnostic(`${consumer}: ${Object.keys(files).join(", ")}`);
  assert.deepEqual(blocks.filter((block) => !run.has(block)), [], "README blocks no consumer runs");
  assert.deepEqual([...run].filter((block) => !blocks.includes(block)), [], "blocks a consumer expects that the README lacks");
});
