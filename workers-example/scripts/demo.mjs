// make demo: the event-booking Worker in workerd, locally and offline. Bundles it
// as `wrangler deploy` would, serves the bundle on 127.0.0.1 with Miniflare, books
// against it over HTTP as clients do (until the event is full, a replayed, a
// tampered and an expired body, many clients at once), then stops. Exits non-zero when an
// outcome is not the expected one.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Account } from "jazzrpc";
import { EXAMPLE_CONFIG, ROOT, bundleWorker, describeBundle, startLocal } from "./local.mjs";
import { bookTickets, captureBody, describeOutcome, postBody } from "../client.mjs";
import { defineBookEventTicket } from "../src/bookEventTicket.js";

const worker = Account.create();
console.log("bundling workers-example (wrangler deploy --dry-run)");
const bundle = await bundleWorker(EXAMPLE_CONFIG, join(ROOT, "build/workers-example"));
console.log(describeBundle(bundle));

const persistDir = await mkdtemp(join(tmpdir(), "jazzrpc-demo-"));
const local = await startLocal({
  configPath: EXAMPLE_CONFIG,
  bundle,
  persistDir,
  bindings: { JAZZ_WORKER_SECRET: worker.secret, JAZZ_WORKER_ACCOUNT: worker.id },
});
const baseUrl = local.url.href.replace(/\/$/, "");
console.log(`\nworkerd serving the Worker on ${baseUrl}, worker account ${worker.id}`);

let failures = 0;
const expect = (ok, line) => {
  if (!ok) failures++;
  console.log(`${ok ? "  " : "!!"} ${line}`);
};
const isFull = (o) => !o.ok && o.code === 400 && o.message === "Event is full";
const eventInfo = async (eventId) => (await fetch(`${baseUrl}/api/events/${eventId}`)).json();

try {
  // 1. jazz-night, capacity 3: four clients book one after another.
  console.log("\njazz-night (capacity 3): four clients book one after another");
  const night = await bookTickets({ baseUrl, workerId: worker.id, eventId: "jazz-night", count: 4 });
  night.forEach((o, i) => expect(i < 3 ? o.ok : isFull(o), `client ${i + 1}: ${describeOutcome(o)}`));

  // 2. A signed body captured on its way: sent, sent again, and sent with a field changed.
  console.log("\na body signed by a client for late-show, captured on its way");
  const body = await captureBody(defineBookEventTicket(worker.id), { eventId: "late-show" }, baseUrl);
  const post = (text) => postBody(baseUrl, text);
  const first = await post(body);
  expect(first.status === 200 && first.json.type === "success", `sent once -> ${first.status} ${first.json.type ?? first.json.message}`);
  const replay = await post(body);
  expect(
    replay.status === 200 && replay.replayed && replay.json.payload?.id === first.json.payload?.id,
    `sent again (a retry, or a replay) -> ${replay.status}, the same signed answer${replay.replayed ? " (X-Jazz-Replayed)" : ""}: no second booking`,
  );
  const tampered = await post(body.replace('"late-show"', '"jazz-night"'));
  expect(
    tampered.status === 401 && tampered.json.message === "Invalid signature",
    `eventId changed to jazz-night (tampered) -> ${tampered.status} ${tampered.json.message}`,
  );
  const signedLongAgo = defineBookEventTicket(worker.id, { now: () => Date.now() - 120_000 });
  const expired = await post(await captureBody(signedLongAgo, { eventId: "late-show" }, baseUrl));
  expect(
    expired.status === 401 && expired.json.message === "Authentication token is expired",
    `a body signed 2 minutes ago (expired) -> ${expired.status} ${expired.json.message}`,
  );

  // 3. late-show, capacity 10, one seat taken: 20 clients book at the same moment.
  console.log("\nlate-show (capacity 10, 1 booked): 20 clients book at the same moment");
  const rush = await bookTickets({ baseUrl, workerId: worker.id, eventId: "late-show", count: 20, parallel: true });
  const tickets = rush.filter((o) => o.ok).length;
  const full = rush.filter(isFull).length;
  expect(tickets === 9 && full === 11, `${tickets} tickets, ${full} x 400 Event is full`);
  for (const eventId of ["jazz-night", "late-show"]) {
    const info = await eventInfo(eventId);
    expect(info.booked === info.capacity, `${eventId}: ${info.booked}/${info.capacity} booked (its EventDO holds the count and ${info.requests.stored} request ids)`);
  }
} finally {
  await local.dispose();
  await rm(persistDir, { recursive: true, force: true });
}

console.log(failures === 0 ? "\ndemo: every outcome as expected; workerd stopped" : `\ndemo: ${failures} outcome(s) not as expected`);
process.exitCode = failures === 0 ? 0 : 1;
