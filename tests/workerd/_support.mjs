// Shared by the workerd tests (not a test file: the runner only picks up *.test.mjs).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export { captureBody, postBody } from "../../workers-example/client.mjs";
export { bundleWorker, startLocal, describeBundle, kb, EXAMPLE_CONFIG, ROOT } from "../../workers-example/scripts/local.mjs";

export const tempDir = (prefix) => mkdtemp(join(tmpdir(), `jazzrpc-${prefix}-`));
export const removeDir = (dir) => rm(dir, { recursive: true, force: true });

export const countBy = (items, key) => items.reduce((m, x) => m.set(key(x), (m.get(key(x)) ?? 0) + 1), new Map());
