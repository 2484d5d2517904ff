// workers-example in real workerd (Miniflare over the bundle `wrangler deploy`
// would upload): concurrency on one body, an event's capacity under a rush, a
// restart over persisted storage, and the bundle's size.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Account } from "../../js-glue/src/entries/node.js";
import { bookTickets } from "../../workers-example/client.mjs";
import { defineBookEventTicket } from "../../workers-example/src/bookEventTicket.js";
import { EXAMPLE_CONFIG, bundleWorker, captureBody, countBy, describeBundle, kb, postBody, removeDir, startLocal, tempDir } from "./_support.mjs";

const worker = Account.create();
const bookEventTicket = defineBookEventTicket(worker.id);
const EVENTS = {
  "jazz-night": { capacity: 3 },
  "ten-seats": { capacity: 10 },
  "big-hall": { capacity: 1000 },
};

const outdir = await tempDir("example-bundle");
const persistDir = await tempDir("example-state");
const bundle = await bundleWorker(EXAMPLE_CONFIG, outdir);
const start = () =>
  startLocal({
    configPath: EXAMPLE_CONFIG,
    bundle,
    persistDir,
    bindings: { JAZZ_WORKER_SECRET: worker.secret, JAZZ_WORKER_ACCOUNT: worker.id, EVENTS },
  });
let local = await start();
after(async () => {
  await local.dispose();
  await removeDir(outdir);
  await removeDir(persistDir);
});

const eventInfo = async (eventId) => (await fetch(new URL(`/api/events/${eventId}`, local.url))).json();

/** The stats() of every replay-guard shard, read through Miniflare from Node. */
async function guardStats(mf) {
  const namespace = await mf.getDurableObjectNamespace("REPLAY_GUARD");
  const shards = Number((await mf.getBindings()).REPLAY_GUARD_SHARDS);
  return Promise.all(Array.from({ length: shards }, (_, i) => namespace.get(namespace.idFromName(`jazzrpc-replay:${i}`)).stats()));
}

test("500 concurrent submissions of one signed request give exactly one 200", async (t) => {
  const body = await captureBody(bookEventTicket, { eventId: "big-hall" }, local.url);
  const responses = await Promise.all(Array.from({ length: 500 }, () => postBody(local.url, body)));
  const statuses = countBy(responses, (r) => `${r.status} ${r.json.message ?? r.json.type}`);
  t.diagnostic(`500 concurrent posts of one body: ${[...statuses].map(([k, n]) => `${n} x ${k}`).join(", ")}`);
  assert.equal(statuses.get("200 success"), 1);
  assert.equal(statuses.get("400 Request payload is already handled"), 499);
  assert.equal((await eventInfo("big-hall")).booked, 1, "the handler ran once");
});

test("capacity 10, 60 concurrent distinct bookings: exactly 10 tickets and 50 Event is full", async (t) => {
  const outcomes = await bookTickets({ baseUrl: local.url.href, workerId: worker.id, eventId: "ten-seats", count: 60, parallel: true });
  const tickets = outcomes.filter((o) => o.ok);
  const full = outcomes.filter((o) => !o.ok && o.code === 400 && o.message === "Event is full");
  t.diagnostic(`${tickets.length} tickets, ${full.length} x 400 Event is full, ${60 - tickets.length - full.length} other`);
  assert.equal(tickets.length, 10);
  assert.equal(full.length, 50);
  assert.equal(new Set(tickets.map((o) => o.ticketId)).size, 10, "ticket ids are distinct");
  assert.deepEqual(tickets.map((o) => o.seatsLeft).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(full[0].details, { seatsLeft: 0 });
  assert.deepEqual(await eventInfo("ten-seats"), { eventId: "ten-seats", capacity: 10, booked: 10, seatsLeft: 0 });
});

test("a tampered body is refused and books nothing", async () => {
  const body = await captureBody(bookEventTicket, { eventId: "big-hall" }, local.url);
  const before = (await eventInfo("jazz-night")).booked;
  const tampered = await postBody(local.url, body.replace('"big-hall"', '"jazz-night"'));
  assert.equal(tampered.status, 401);
  assert.equal(tampered.json.message, "Invalid signature");
  assert.equal((await eventInfo("jazz-night")).booked, before);
});

test("the guard objects restarted over their persisted storage still refuse a replay inside the window", async (t) => {
  const body = await captureBody(bookEventTicket, { eventId: "big-hall" }, local.url);
  assert.equal((await postBody(local.url, body)).status, 200);
  const booked = (await eventInfo("big-hall")).booked;
  const storedBefore = (await guardStats(local.mf)).reduce((n, s) => n + s.stored, 0);

  await local.dispose(); // workerd stops: every object's memory is gone
  local = await start(); // a new workerd over the same storage
  const fresh = await guardStats(local.mf);
  t.diagnostic(`after the restart: ${fresh.reduce((n, s) => n + s.inMemory, 0)} ids in memory, ${fresh.reduce((n, s) => n + s.stored, 0)} stored (${storedBefore} before)`);
  assert.equal(fresh.reduce((n, s) => n + s.inMemory, 0), 0, "the restarted objects start with empty memory");
  assert.equal(fresh.reduce((n, s) => n + s.stored, 0), storedBefore, "their storage kept every id");

  const replay = await postBody(local.url, body);
  assert.equal(replay.status, 400);
  assert.equal(replay.json.message, "Request payload is already handled");
  assert.equal((await eventInfo("big-hall")).booked, booked, "the replay booked nothing");
  // The Worker still books new requests after the restart.
  const [again] = await bookTickets({ baseUrl: local.url.href, workerId: worker.id, eventId: "big-hall" });
  assert.ok(again.ok, JSON.stringify(again));
});

test("wrangler deploy --dry-run bundles the example; wasm plus glue gzipped is under 250 KB", async (t) => {
  t.diagnostic("workers-example bundle:");
  for (const line of describeBundle(bundle).split("\n")) t.diagnostic(line);
  assert.match(bundle.report, /Total Upload: [\d.]+ KiB \/ gzip: [\d.]+ KiB/);
  // The glue alone: a Worker that is only jazzrpc/cloudflare (route, accounts, the guard object).
  const glueConfig = fileURLToPath(new URL("./glue-only/wrangler.jsonc", import.meta.url));
  const glueDir = await tempDir("glue-bundle");
  try {
    const glue = await bundleWorker(glueConfig, glueDir);
    const gz = glue.files.reduce((n, f) => n + f.gzipBytes, 0);
    const raw = glue.files.reduce((n, f) => n + f.bytes, 0);
    t.diagnostic("jazzrpc/cloudflare alone (wasm plus glue, minified):");
    for (const line of describeBundle(glue).split("\n")) t.diagnostic(line);
    t.diagnostic(`  wasm plus glue: ${kb(raw)} raw, ${kb(gz)} gzipped`);
    assert.ok(gz < 250 * 1000, `wasm plus glue is ${kb(gz)} gzipped`);
  } finally {
    await removeDir(glueDir);
  }
});
