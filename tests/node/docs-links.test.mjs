// The documents cite only what exists: every relative link of README.md, ARCHITECTURE.md,
// SECURITY.md, BENCHMARKS.md and docs/*.md resolves to a file or folder of the repository
// (and its #anchor to a heading of that file), and every path in backticks that names a file
// of the repository (`js-glue/src/rpc/route.js`, `DESIGN.md`) exists. A path that is not the
// repository's (a user's `src/worker.js` in docs/cloudflare.md) is fine when the page itself
// holds it as a block (```js file=src/worker.js) or the allowlist below names it.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { anchorsOf, linksOf, withoutCode } from "../docs/markdown.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const DOCUMENTS = [
  "README.md",
  "ARCHITECTURE.md",
  "SECURITY.md",
  "BENCHMARKS.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];

// Paths in backticks that no checkout holds, because something makes them at run time or they
// are a user's project, not this repository. Each entry says why.
const MADE_AT_RUN_TIME = new Map([
  ["build/pack/", "make pack writes the tarball there"],
  ["bench/results.json", "make bench writes it (gitignored)"],
  ["bench/results.md", "make bench writes it"],
  ["bench/profiling/", "BENCHMARKS.md says the folder is gone and git history keeps it"],
  ["build/fuzz/corpus", "make fuzz keeps its corpus there"],
  ["workers-example/.dev.vars", "make dev writes it on its first run (gitignored)"],
]);

// Top-level entries of the repository: a backtick path is taken as the repository's when its
// first segment is one of them (or it is a bare file name the root holds, such as DESIGN.md).
const TOP = new Set(readdirSync(ROOT).filter((name) => !name.startsWith(".") && name !== "node_modules" && name !== "build"));

const isExternal = (target) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//");

/** The problems with one document's relative links, as strings. */
export function brokenLinks(document, root = ROOT) {
  const markdown = readFileSync(join(root, document), "utf8");
  const problems = [];
  for (const target of linksOf(markdown)) {
    if (isExternal(target)) continue;
    const [path, anchor] = target.split("#");
    const file = path === "" ? join(root, document) : normalize(join(root, dirname(document), decodeURIComponent(path)));
    if (relative(root, file).startsWith("..")) {
      problems.push(`${document}: ${target} leaves the repository`);
      continue;
    }
    if (!existsSync(file)) {
      problems.push(`${document}: ${target} does not exist`);
      continue;
    }
    if (anchor !== undefined) {
      if (!file.endsWith(".md") || statSync(file).isDirectory()) {
        problems.push(`${document}: ${target} has an anchor on a file that is not Markdown`);
      } else if (!anchorsOf(readFileSync(file, "utf8")).has(anchor)) {
        problems.push(`${document}: ${target}: ${relative(root, file)} has no heading #${anchor}`);
      }
    }
  }
  return problems;
}

// The files a page holds itself, as blocks (```js file=src/worker.js): its program's paths.
const blockFiles = (markdown) => new Set([...markdown.matchAll(/^```[\w-]*[ \t]+file=(\S+)/gm)].map(([, path]) => path));

/**
 * Paths that look like the repository's, in backticks or in prose (outside fenced blocks and
 * link targets): a path whose first segment is a top-level entry of the repository
 * (`js-glue/src/rpc/route.js`, tests/node/), or a root-style document name (DESIGN.md).
 */
export function citedPaths(markdown) {
  const cited = new Set();
  const prose = withoutCode(markdown)
    .replace(/\]\([^)]*\)/g, "]")
    .replace(/^\s{0,3}\[[^\]]+\]:.*$/gm, "").replace(/<?[a-z][a-z0-9+.-]*:\/\/[^\s)>]+>?/gi, "");
  for (const [inner] of prose.matchAll(/[\w.@-]+(?:\/[\w.@-]+)*\/?/g)) {
    const path = inner.replace(/\.+$/, "");
    if (path.includes("/")) {
      if (TOP.has(path.split("/")[0])) cited.add(path);
    } else if (/^[A-Z][A-Z0-9_-]*\.md$/.test(path)) {
      cited.add(path); // DESIGN.md, README.md…
    }
  }
  return [...cited];
}

/** The problems with one document's cited paths, as strings. */
export function missingCitations(document, root = ROOT) {
  const markdown = readFileSync(join(root, document), "utf8");
  const own = blockFiles(markdown);
  const problems = [];
  for (const path of citedPaths(markdown)) {
    if (own.has(path) || MADE_AT_RUN_TIME.has(path)) continue;
    if (!existsSync(join(root, path))) problems.push(`${document}: \`${path}\` does not exist in the repository`);
  }
  return problems;
}

test("the checker itself: links, anchors and cited paths are found and judged", () => {
  const sample = [
    "# A title",
    "## The API (v2)",
    "See [here](docs/cloudflare.md#the-whole-program), [there](#the-api-v2), [gone](docs/none.md),",
    "[web](https://example.org/x.md) and ![img](./missing.png).",
    "```js",
    "[not a link](nowhere.md) `js-glue/src/nowhere.js`",
    "```",
    "[ref]: SECURITY.md#no-such-heading",
    "Cites `js-glue/src/rpc/route.js`, DESIGN.md (section 6), `tests/node/` and `a b/c`, `src/worker.js`, and/or 9k req/s.",
  ].join("\n");
  assert.deepEqual(linksOf(sample), ["docs/cloudflare.md#the-whole-program", "#the-api-v2", "docs/none.md", "https://example.org/x.md", "./missing.png", "SECURITY.md#no-such-heading"]);
  assert.deepEqual([...anchorsOf(sample)], ["a-title", "the-api-v2"]);
  assert.deepEqual(citedPaths(sample), ["js-glue/src/rpc/route.js", "DESIGN.md", "tests/node/", "src/worker.js"]);
  assert.ok(anchorsOf(readFileSync(join(ROOT, "docs/cloudflare.md"), "utf8")).has("the-whole-program"));
});

test("the documents are the ones the brief names, and each exists", () => {
  for (const document of DOCUMENTS) assert.ok(existsSync(join(ROOT, document)), document);
  assert.ok(DOCUMENTS.includes("docs/cloudflare.md") && DOCUMENTS.includes("docs/compatibility.md"));
});

for (const document of DOCUMENTS) {
  test(`${document}: every relative link resolves to a file of the repository (and its anchor to a heading)`, () => {
    assert.deepEqual(brokenLinks(document), []);
  });
  test(`${document}: every repository path it cites exists`, () => {
    assert.deepEqual(missingCitations(document), []);
  });
}
