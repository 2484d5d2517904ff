// docs/cloudflare.md's whole program, copied out of the page into a fresh folder,
// bundled by wrangler and served in workerd from scriptPath with a CompiledWasm rule
// (as the page says): it books until the event is full, refuses a replay, and
// refuses a secret that is not JAZZ_WORKER_ACCOUNT's. Prints the sizes the page quotes.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { symlink } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Account } from "../../js-glue/src/entries/node.js";
import { fileBlocks, writeBlocks } from "../docs/blocks.mjs";
import { ROOT, bundleWorker, captureBody, describeBundle, postBody, removeDir, startLocal, tempDir } from "./_support.mjs";

const files = fileBlocks(join(ROOT, "docs/cloudflare.md"));
const project = await tempDir("docs-cloudflare");
const outdir = await tempDir("docs-cloudflare-bundle");
const written = await writeBlocks(files, project);
await symlink(join(ROOT, "node_modules"), join(project, "node_modules"), "dir"); // jazzrpc, zod, wrangler
const configPath = join(project, "wrangler.jsonc");
const bundle = await bundleWorker(configPath, outdir);
const worker = Account.create();
const start = (secret = worker.secret) =>
  startLocal({ configPath, bundle, bindings: { JAZZ_WORKER_ACCOUNT: worker.id, JAZZ_WORKER_SECRET: secret } });
const local = await start();
after(async () => {
  await local.dispose();
  await removeDir(project);
  await removeDir(outdir);
});
const { defineBookEventTicket } = await import(pathToFileURL(join(project, "src/bookEventTicket.js")).href);
const route = defineBookEventTicket(worker.id);

test("docs/cloudflare.md holds the whole program: wrangler.jsonc, src/bookEventTicket.js, src/worker.js", (t) => {
  assert.deepEqual(written.sort(), ["src/bookEventTicket.js", "src/worker.js", "wrangler.jsonc"]);
  t.diagnostic(`npx wrangler deploy --dry-run --outdir dist: ${describeBundle(bundle).replaceAll("\n", ";")}`);
});

test("the page's Worker books until jazz-night is full, refuses bad bodies in the Worker, and answers a retry with the stored answer", async () => {
  const results = [];
  for (let i = 0; i < 4; i++) {
    try {
      results.push(await route.send({ eventId: "jazz-night" }, { owner: Account.create(), baseUrl: local.url }));
    } catch (error) {
      results.push({ code: error.code, message: error.message, details: error.details });
    }
  }
  assert.deepEqual(results.slice(0, 3).map((r) => r.seatsLeft), [2, 1, 0]);
  assert.deepEqual(results.slice(0, 3).map((r) => r.ticketId), ["jazz-night-1", "jazz-night-2", "jazz-night-3"]);
  assert.deepEqual(results[3], { code: 400, message: "Event is full", details: { seatsLeft: 0 } });
  const nowhere = await postBody(local.url, await captureBody(route, { eventId: "nowhere" }), route.path);
  assert.deepEqual(nowhere, { status: 404, json: { message: "No such event", code: 404 }, replayed: false });
  const tampered = await postBody(local.url, (await captureBody(route, { eventId: "jazz-night" })).replace("jazz-night", "nowhere"), route.path);
  assert.deepEqual(tampered, { status: 401, json: { message: "Invalid signature", code: 401 }, replayed: false });
  // A client whose answer was lost sends the same body again: the same answer, no second booking.
  const body = await captureBody(route, { eventId: "jazz-night" });
  const first = await postBody(local.url, body, route.path);
  const again = await postBody(local.url, body, route.path);
  assert.deepEqual(first.json, { message: "Event is full", code: 400, details: { seatsLeft: 0 } });
  assert.deepEqual(again, { ...first, replayed: true });
});

test("a JAZZ_WORKER_SECRET that is not JAZZ_WORKER_ACCOUNT's is refused at the first request (500), never signs", async () => {
  const wrong = await start(Account.create().secret);
  try {
    const response = await fetch(new URL("/api/book-event-ticket", wrong.url), { method: "POST", body: await captureBody(route, { eventId: "jazz-night" }) });
    assert.equal(response.status, 500);
    assert.deepEqual(await response.json(), { message: "Internal server error", code: 500 });
  } finally {
    await wrong.dispose();
  }
});
