// Shared by the workerd tests (not a test file: the runner only picks up *.test.mjs).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Account } from "../../js-glue/src/node.js";

export { bundleWorker, startLocal, describeBundle, kb, EXAMPLE_CONFIG, ROOT } from "../../workers-example/scripts/local.mjs";

export const tempDir = (prefix) => mkdtemp(join(tmpdir(), `jazzrpc-${prefix}-`));
export const removeDir = (dir) => rm(dir, { recursive: true, force: true });

/** The body send() would post, captured instead of sent. */
export async function captureBody(route, values, baseUrl) {
  let body;
  await route
    .send(values, { owner: Account.create(), baseUrl, fetch: async (_url, init) => ((body = init.body), new Response("", { status: 599 })) })
    .catch(() => {});
  if (!body) throw new Error("send() produced no body");
  return body;
}

/** POSTs a body to the booking route over HTTP; resolves to { status, json }. */
export async function postBody(baseUrl, body, path = "/api/book-event-ticket") {
  const response = await fetch(new URL(path, baseUrl), { method: "POST", headers: { "Content-Type": "application/json" }, body });
  return { status: response.status, json: await response.json() };
}

export const countBy = (items, key) => items.reduce((m, x) => m.set(key(x), (m.get(key(x)) ?? 0) + 1), new Map());
