// The README inside the tarball (`make pack`, scripts/pack.mjs): npm shows it on the package's
// page and users read it in node_modules, where docs/, BENCHMARKS.md or js-glue/src/ are not.
// Its links are to files the package ships or to the repository on GitHub (the repository
// js-glue/package.json names), never relative links to files the package lacks.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { absoluteLinks, repositoryUrl } from "../../scripts/pack.mjs";
import { anchorsOf, linksOf } from "../docs/markdown.mjs";
import { ROOT, tarball } from "./harness.mjs";

const BASE = repositoryUrl(JSON.parse(readFileSync(join(ROOT, "js-glue/package.json"), "utf8")));
const isExternal = (target) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//");

const path = await tarball();
const files = new Set(execFileSync("tar", ["-tzf", path], { encoding: "utf8" }).split("\n").filter(Boolean).map((f) => f.replace(/^package\//, "")));
const packed = execFileSync("tar", ["-xOzf", path, "package/README.md"], { encoding: "utf8" });

test("the repository is https://github.com/jazzrpc/jazzrpc, as js-glue/package.json says", () => {
  assert.equal(BASE, "https://github.com/jazzrpc/jazzrpc");
});

test("the packed README has no relative link to a file the package lacks", (t) => {
  const relative = linksOf(packed).filter((target) => !isExternal(target) && !target.startsWith("#"));
  t.diagnostic(`relative links in the packed README: ${relative.length ? relative.join(", ") : "none"}`);
  assert.deepEqual(relative.filter((target) => !files.has(target.split("#")[0].replace(/^\.\//, ""))), []);
  const sourceRelative = linksOf(readFileSync(join(ROOT, "README.md"), "utf8")).filter((target) => !isExternal(target) && !target.startsWith("#"));
  assert.ok(sourceRelative.length > 0, "the repository's README has relative links for the pack to rewrite");
});

test("the packed README's links into the repository name files and headings that exist there", (t) => {
  const intoRepo = linksOf(packed).filter((target) => target.startsWith(`${BASE}/`));
  t.diagnostic(`links into the repository: ${intoRepo.join(", ")}`);
  assert.ok(intoRepo.length > 0);
  const problems = [];
  for (const target of intoRepo) {
    const match = target.slice(BASE.length).match(/^\/(blob|tree)\/main\/([^#]+)(?:#(.*))?$/);
    if (!match) {
      problems.push(`${target}: not a blob/ or tree/ link on main`);
      continue;
    }
    const [, kind, inRepo, anchor] = match;
    const onDisk = join(ROOT, decodeURIComponent(inRepo));
    if (!existsSync(onDisk)) problems.push(`${target}: ${inRepo} does not exist`);
    else if ((kind === "tree") !== statSync(onDisk).isDirectory()) problems.push(`${target}: ${kind}/ for a ${kind === "tree" ? "file" : "folder"}`);
    else if (anchor !== undefined && !anchorsOf(readFileSync(onDisk, "utf8")).has(anchor)) problems.push(`${target}: no heading #${anchor}`);
  }
  assert.deepEqual(problems, []);
});

test("the rewrite: relative links, images and reference definitions become absolute; code, anchors and external links stay", () => {
  const sample = [
    "See [the guide](docs/cloudflare.md#the-whole-program), [the API](#the-api), [web](https://standardschema.dev),",
    "![logo](./docs/compatibility.md) and [the glue](js-glue/src/) in `[not a link](docs/none.md)`.",
    "```js",
    "// [code](docs/none.md)",
    "```",
    "   ```sh",
    "   [indented code](docs/none.md)",
    "   ```",
    "[bench]: BENCHMARKS.md",
  ].join("\n");
  assert.equal(
    absoluteLinks(sample, { base: BASE }),
    [
      `See [the guide](${BASE}/blob/main/docs/cloudflare.md#the-whole-program), [the API](#the-api), [web](https://standardschema.dev),`,
      `![logo](${BASE}/blob/main/docs/compatibility.md) and [the glue](${BASE}/tree/main/js-glue/src) in \`[not a link](docs/none.md)\`.`,
      "```js",
      "// [code](docs/none.md)",
      "```",
      "   ```sh",
      "   [indented code](docs/none.md)",
      "   ```",
      `[bench]: ${BASE}/blob/main/BENCHMARKS.md`,
    ].join("\n"),
  );
  assert.throws(() => absoluteLinks("[gone](docs/none.md)", { base: BASE }), /docs\/none\.md, which does not exist/);
  assert.throws(() => absoluteLinks("[out](../elsewhere.md)", { base: BASE }), /leaves the repository/);
});
