// make demo: the documentation's scenario on Node. A booking server on 127.0.0.1
// and a free port; clients book tickets for an event of capacity 3 until it is
// full, then the same body again (answered from storage), a tampered and an expired request. Exits non-zero when
// an outcome is not the expected one.
import { Account, isJazzRequestError } from "../../js-glue/src/entries/node.js";
import { createBookingServer } from "./server.mjs";
import { defineBookEventTicket } from "./bookEventTicket.mjs";

const events = new Map([["jazz-night", { capacity: 3, reservations: [] }]]);
const workerAccount = Account.create();
const { server } = await createBookingServer({ accountSecret: workerAccount.secret, events });
await new Promise((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
const baseUrl = `http://127.0.0.1:${server.address().port}`;
console.log(`booking server on ${baseUrl}, worker ${workerAccount.id}`);
console.log(`event jazz-night, capacity 3\n`);

const bookEventTicket = defineBookEventTicket(workerAccount.id);
let failures = 0;
const expect = (ok, line) => {
  if (!ok) failures++;
  console.log(`${ok ? "  " : "!!"} ${line}`);
};
const describe = (e) => `${e.code} ${e.message}${e.details !== undefined ? " " + JSON.stringify(e.details) : ""}`;

// 1. Four clients book; the fourth finds the event full.
for (let i = 1; i <= 4; i++) {
  const client = Account.create();
  try {
    const { ticketId, seatsLeft } = await bookEventTicket.send({ eventId: "jazz-night" }, { owner: client, baseUrl });
    expect(i <= 3, `client ${i}: booked ${ticketId}, ${seatsLeft} seat(s) left`);
  } catch (error) {
    expect(i === 4 && isJazzRequestError(error) && error.code === 400 && error.message === "Event is full", `client ${i}: ${describe(error)}`);
  }
}

// 2. A signed body captured on the wire, sent twice, then tampered with, and one that has expired.
const captureBody = async (route, values) => {
  let body;
  await route
    .send(values, { owner: Account.create(), baseUrl, fetch: async (_u, init) => ((body = init.body), new Response("", { status: 599 })) })
    .catch(() => {});
  return body;
};
const post = async (body) => {
  const response = await fetch(`${baseUrl}/api/book-event-ticket`, { method: "POST", headers: { "Content-Type": "application/json" }, body });
  return { status: response.status, json: await response.json(), replayed: response.headers.get("X-Jazz-Replayed") === "true" };
};
events.set("late-show", { capacity: 10, reservations: [] });
const body = await captureBody(bookEventTicket, { eventId: "late-show" });
const first = await post(body);
expect(first.status === 200, `captured body, first time -> ${first.status} ${first.json.type ?? ""}`);
const replay = await post(body);
expect(
  replay.status === 200 && replay.replayed && replay.json.payload?.id === first.json.payload?.id,
  `same body again (a retry, or a replay) -> ${replay.status}, the same signed answer${replay.replayed ? " (X-Jazz-Replayed)" : ""}`,
);
const tampered = await post(body.replace("late-show", "jazz-night"));
expect(tampered.status === 401 && tampered.json.message === "Invalid signature", `body with eventId changed (tampered) -> ${tampered.status} ${tampered.json.message}`);
const oldClock = defineBookEventTicket(workerAccount.id, { now: () => Date.now() - 120_000 });
const expired = await post(await captureBody(oldClock, { eventId: "late-show" }));
expect(expired.status === 401 && expired.json.message === "Authentication token is expired", `body signed 2 minutes ago (expired) -> ${expired.status} ${expired.json.message}`);

const late = events.get("late-show").reservations.length;
expect(late === 1, `late-show reservations: ${late} (the duplicate, the tampered and the expired bodies ran no handler)`);

server.closeAllConnections();
await new Promise((resolve) => server.close(resolve));
console.log(failures === 0 ? "\ndemo: every outcome as expected" : `\ndemo: ${failures} outcome(s) not as expected`);
process.exitCode = failures === 0 ? 0 : 1;
