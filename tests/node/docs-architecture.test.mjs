// ARCHITECTURE.md walks a request through the code: each walk (the server's, the client's)
// links every file the request passes, in the order it passes them, and each link opens a file
// that exists. Every .js file of the glue's layers (js-glue/src/rpc, core, adapters, guards) is
// linked somewhere in the document, so a file added without a word there fails here.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, normalize, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { linksOf } from "../docs/markdown.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const DOCUMENT = "ARCHITECTURE.md";
const LAYERS = ["js-glue/src/rpc", "js-glue/src/core", "js-glue/src/adapters", "js-glue/src/guards"];

const G = "js-glue/src/";
// The stages each walk must pass, in this order (other files may come between them, and a
// file may come back: the adapter reads the request and writes the answer).
const WALKS = {
  "The path of a request (server)": [
    `${G}adapters/node-http.js`,
    `${G}adapters/node-body.js`,
    `${G}rpc/route.js`,
    `${G}rpc/serve.js`,
    `${G}rpc/body.js`,
    `${G}core/message.js`,
    `${G}core/abi-caller.js`,
    `${G}rpc/schema.js`,
    `${G}rpc/once.js`,
    `${G}guards/claim.js`,
    `${G}core/message.js`,
    `${G}rpc/answer.js`,
    `${G}adapters/node-http.js`,
  ],
  "The path of a request (client)": [
    `${G}rpc/route.js`,
    `${G}rpc/client.js`,
    `${G}rpc/schema.js`,
    `${G}rpc/account.js`,
    `${G}core/signer.js`,
    `${G}core/message.js`,
    `${G}core/abi-caller.js`,
    `${G}rpc/client.js`,
    `${G}core/message.js`,
    `${G}rpc/schema.js`,
  ],
};

const isExternal = (target) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//");

/** The text of a `## title` section, up to the next heading of level 2 or less. */
export function sectionOf(markdown, title) {
  const lines = markdown.split("\n");
  const start = lines.findIndex((line) => line.trim() === `## ${title}`);
  if (start < 0) return null;
  const end = lines.findIndex((line, i) => i > start && /^#{1,2}\s/.test(line));
  return lines.slice(start + 1, end < 0 ? undefined : end).join("\n");
}

/** The repository paths a Markdown text links, in the order of its links (repeats kept). */
export function linkedPaths(markdown, document = DOCUMENT) {
  return linksOf(markdown)
    .filter((target) => !isExternal(target) && !target.startsWith("#"))
    .map((target) => relative(ROOT, normalize(join(ROOT, dirname(document), decodeURIComponent(target.split("#")[0])))));
}

/** The stages of `spine` that `sequence` does not pass in order (the first missing one and those after it). */
export function missedStages(sequence, spine) {
  let at = 0;
  for (let i = 0; i < spine.length; i++) {
    const found = sequence.indexOf(spine[i], at);
    if (found < 0) return spine.slice(i);
    at = found + 1;
  }
  return [];
}

function jsFilesUnder(folder) {
  const out = [];
  for (const entry of readdirSync(join(ROOT, folder), { withFileTypes: true })) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory()) out.push(...jsFilesUnder(path));
    else if (entry.name.endsWith(".js")) out.push(path);
  }
  return out.sort();
}

const markdown = readFileSync(join(ROOT, DOCUMENT), "utf8");

test("the checker itself: sections, linked paths in order, stages passed in order", () => {
  const sample = [
    "# Doc",
    "## The walk",
    "1. [a](js-glue/src/rpc/route.js) then [b](./js-glue/src/rpc/serve.js#x), `[not](a/link.js)`,",
    "   [web](https://example.org/x.js), [here](#the-walk), [again](js-glue/src/rpc/route.js).",
    "```",
    "[code](js-glue/src/rpc/once.js)",
    "```",
    "## Next",
    "[c](js-glue/src/rpc/body.js)",
  ].join("\n");
  const walk = sectionOf(sample, "The walk");
  assert.deepEqual(linkedPaths(walk), ["js-glue/src/rpc/route.js", "js-glue/src/rpc/serve.js", "js-glue/src/rpc/route.js"]);
  assert.equal(sectionOf(sample, "Missing"), null);
  assert.deepEqual(missedStages(["a", "b", "a"], ["a", "b", "a"]), []);
  assert.deepEqual(missedStages(["a", "b", "c"], ["b", "a", "c"]), ["a", "c"]);
  assert.ok(jsFilesUnder("js-glue/src/rpc").includes("js-glue/src/rpc/route.js"));
});

for (const [title, spine] of Object.entries(WALKS)) {
  const walk = sectionOf(markdown, title);

  test(`${DOCUMENT} "${title}": every file it names exists`, () => {
    assert.notEqual(walk, null, `${DOCUMENT} has no section "## ${title}"`);
    const named = linkedPaths(walk);
    assert.ok(named.length >= spine.length, `the walk links ${named.length} files`);
    assert.deepEqual(named.filter((path) => !existsSync(join(ROOT, path))), []);
  });

  test(`${DOCUMENT} "${title}": it passes the request's stages in order`, () => {
    assert.notEqual(walk, null);
    assert.deepEqual(missedStages(linkedPaths(walk), spine), [], "the stages the walk does not link in this order");
  });
}

test(`${DOCUMENT}: every .js file of ${LAYERS.join(", ")} is linked from it`, () => {
  const linked = new Set(linkedPaths(markdown));
  const files = LAYERS.flatMap(jsFilesUnder);
  assert.ok(files.length > 20, `${files.length} files`);
  const unlinked = files.filter((file) => !linked.has(file));
  assert.deepEqual(unlinked, [], `link each from ${DOCUMENT}, where a request passes it (or among the files it does not pass)`);
});
