// The tarball as the registry would serve it, linted by publint and by
// @arethetypeswrong/cli (both pinned in the root package.json): neither may find
// anything except about the wasm entries ("./jazzrpc.wasm" and the browser core's
// "./jazzrpc-client.wasm", which have no types by nature).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { ROOT, tarball } from "./harness.mjs";

// attw's default profile ("strict": node10, node16 from CommonJS and from ES modules, bundler),
// with one rule set aside: cjs-resolves-to-esm says a require() of an ES module fails, which
// stopped being true in Node 20.19 (require(esm)), the package's engines floor. attw 0.18.5 has
// no resolution mode for it yet (its maintainers' issue #252, "require(esm) support"). That
// require() works is shown at run time by the CommonJS consumers (node-cjs.test.mjs, and the
// CommonJS .cts of typescript.test.mjs, compiled by TypeScript 5.9's nodenext and run).
const ATTW_PROFILE = "strict";
const ATTW_IGNORED = ["cjs-resolves-to-esm"];
const IGNORED_KINDS = new Set(["CJSResolvesToESM"]); // the same rule, as attw's JSON names its problems
const WASM_ENTRIES = ["./jazzrpc.wasm", "./jazzrpc-client.wasm"];
const aboutWasm = (text) => text.includes("jazzrpc.wasm") || text.includes("jazzrpc-client.wasm");
const onWasmEntry = (problem) => WASM_ENTRIES.some((entry) => problem.includes(` ${entry}`));

test("publint finds nothing in the tarball but the wasm entry", async (t) => {
  const bytes = await readFile(await tarball());
  const { messages, pkg } = await publint({ pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) }, level: "suggestion" });
  const found = messages.map((m) => `${m.type} ${m.code} at ${m.path.join(".")}: ${formatMessage(m, pkg, { color: false }) ?? ""}`);
  t.diagnostic(`publint 0.3.25 on ${await tarball()}: ${found.length} message(s)${found.map((f) => `\n  ${f}`).join("")}`);
  assert.deepEqual(found.filter((f) => !aboutWasm(f)), []);
});

test(`@arethetypeswrong/cli (profile ${ATTW_PROFILE}, ignoring ${ATTW_IGNORED}) finds nothing in the tarball but the wasm entry`, async (t) => {
  const path = await tarball();
  // attw ends with process.exit(), which cuts a report written to a pipe short (a run of
  // CI read 219,264 characters of it); written to a file, every write completes first.
  const report = join(mkdtempSync(join(tmpdir(), "jazzrpc-attw-")), "report.json");
  const out = openSync(report, "w");
  let attw;
  try {
    attw = spawnSync(process.execPath, [join(ROOT, "node_modules/@arethetypeswrong/cli/dist/index.js"), path, "--format", "json", "--profile", ATTW_PROFILE, "--ignore-rules", ...ATTW_IGNORED], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", out, "pipe"],
      timeout: 120_000,
    });
  } finally {
    closeSync(out);
  }
  const text = readFileSync(report, "utf8");
  assert.ok(text, `attw printed nothing: ${attw.stderr}`);
  const { problems = [] } = JSON.parse(text);
  const list = (Array.isArray(problems) ? problems : Object.values(problems).flat()).map(
    (p) => `${p.kind} ${p.entrypoint ?? ""} ${p.resolutionKind ?? ""}`.trim(),
  );
  t.diagnostic(`attw 0.18.5 on ${path}: ${list.length} problem(s)${list.map((p) => `\n  ${p}`).join("")}`);
  assert.deepEqual(list.filter((p) => !onWasmEntry(p) && !IGNORED_KINDS.has(p.split(" ")[0])), []);
  assert.equal(attw.status === 0 || list.some(onWasmEntry), true, "attw's exit code fails only on the wasm entries");
});
