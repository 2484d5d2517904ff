// TypeScript consumers of the tarball, `tsc` from a fresh project: moduleResolution
// "bundler" and "nodenext" (ES modules), and a CommonJS module under "nodenext" that is
// then compiled and run. Each checks that the handler's argument and send()'s result are
// inferred (positive assignments, and @ts-expect-error lines that must be errors).
// The configs skip library checks, as most projects do; one more config imports the
// types of every entry of the package's exports map (jazzrpc/jazz included) with
// skipLibCheck off, so that an untyped entry or an error inside the package's
// declarations fails.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { createProject, taggedLines } from "./harness.mjs";

const CONFIGS = ["tsconfig.entries.json", "tsconfig.bundler.json", "tsconfig.nodenext.json", "tsconfig.commonjs.json"];

test("TypeScript: bundler, nodenext and CommonJS consumers type-check; the CommonJS build runs", { timeout: 300_000 }, async (t) => {
  const project = await createProject(t, "typescript", { folders: ["typescript"], dependencies: ["typescript", "@types/node", "zod", "valibot"] });

  // src/entries.ts: `import type * as …` of every subpath the installed package exports.
  const { exports } = JSON.parse(await readFile(join(project.dir, "node_modules/jazzrpc/package.json"), "utf8"));
  const entries = Object.keys(exports).filter((subpath) => !/\.(wasm|json)$/.test(subpath));
  const specifier = (subpath) => (subpath === "." ? "jazzrpc" : `jazzrpc/${subpath.slice(2)}`);
  await writeFile(
    join(project.dir, "src/entries.ts"),
    `${entries.map((s, i) => `import type * as entry${i} from "${specifier(s)}";`).join("\n")}\n` +
      `export type Entries = [${entries.map((_, i) => `typeof entry${i}`).join(", ")}];\n`,
  );
  project.log(`src/entries.ts imports the types of ${entries.map(specifier).join(", ")}`);

  const failed = [];
  for (const config of CONFIGS) {
    const { code, stdout } = await project.run(project.bin("tsc"), ["-p", config, "--pretty", "false"], { allowFailure: true, timeout: 120_000 });
    if (code !== 0) failed.push(`${config}:\n${stdout.trim()}`);
  }
  assert.deepEqual(failed, [], "tsc found errors");
  const stdout = await project.node(["out/route.cjs"], { timeout: 30_000 });
  assert.match(taggedLines(stdout).booked?.ticketId ?? "", /^jazz-night-/, stdout);
});
