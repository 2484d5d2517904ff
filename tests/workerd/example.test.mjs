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

test("500 concurrent submissions of one signed request: the handler runs once, every copy gets its answer or 409", async (t) => {
  const body = await captureBody(bookEventTicket, { eventId: "big-hall" }, local.url);
  const responses = await Promise.all(Array.from({ length: 500 }, () => postBody(local.url, body)));
  const statuses = countBy(responses, (r) => `${r.status}${r.replayed ? " replayed" : ""} ${r.json.message ?? r.json.type}`);
  t.diagnostic(`500 concurrent posts of one body: ${[...statuses].map(([k, n]) => `${n} x ${k}`).join(", ")}`);
  assert.equal(statuses.get("200 success"), 1);
  assert.equal((statuses.get("200 replayed success") ?? 0) + (statuses.get("409 Request is being handled, retry") ?? 0), 499);
  const ticket = responses.find((r) => r.status === 200 && !r.replayed).json.payload.id;
  assert.ok(responses.filter((r) => r.status === 200).every((r) => r.json.payload.id === ticket), "every 200 is the same signed answer");
  const info = await eventInfo("big-hall");
  assert.equal(info.booked, 1, "the handler ran once");
  assert.equal(info.requests.stored, 1);
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
  const { requests, ...info } = await eventInfo("ten-seats");
  assert.deepEqual(info, { eventId: "ten-seats", capacity: 10, booked: 10, seatsLeft: 0 });
  assert.equal(requests.stored, 60, "each request id, with its answer, in the event's object");
});

test("a tampered body is refused and books nothing", async () => {
  const body = await captureBody(bookEventTicket, { eventId: "big-hall" }, local.url);
  const before = (await eventInfo("jazz-night")).booked;
  const tampered = await postBody(local.url, body.replace('"big-hall"', '"jazz-night"'));
  assert.equal(tampered.status, 401);
  assert.equal(tampered.json.message, "Invalid signature");
  assert.equal((await eventInfo("jazz-night")).booked, before);
});

test("the event's object restarted over its persisted storage answers a retry from storage: the same ticket, no second booking", async (t) => {
  const body = await captureBody(bookEventTicket, { eventId: "big-hall" }, local.url);
  const first = await postBody(local.url, body);
  assert.equal(first.status, 200);
  const { booked, requests } = await eventInfo("big-hall");

  await local.dispose(); // workerd stops: every object's memory is gone
  local = await start(); // a new workerd over the same storage
  const again = await postBody(local.url, body);
  t.diagnostic(`after the restart: ${again.status}${again.replayed ? " replayed" : ""}; ${requests.stored} request ids stored`);
  assert.equal(again.status, 200);
  assert.equal(again.replayed, true);
  assert.deepEqual(again.json, first.json, "the stored answer, as first given");
  assert.equal((await eventInfo("big-hall")).booked, booked, "the retry booked nothing");
  // The Worker still books new requests after the restart.
  const [next] = await bookTickets({ baseUrl: local.url.href, workerId: worker.id, eventId: "big-hall" });
  assert.ok(next.ok, JSON.stringify(next));
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
