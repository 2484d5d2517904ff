// Bad bodies against both servers over the same worker account: what jazz-tools
// 0.20.19's handle() answers beside what ours answers. docs/compatibility.md keeps
// this table; each row here asserts both columns.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { getCore } from "jazzrpc/node";
import { experimental_defineRequest as jazzDefineRequest } from "jazz-tools";
import { setup, installFetch, Event } from "./scenario.mjs";
import { definition } from "./booking.mjs";

let s;
let restoreFetch;
let event;
let captured;
before(async () => {
  s = await setup();
  restoreFetch = installFetch({
    "/ours/book-event-ticket": s.oursHandle,
    "/jazz/book-event-ticket": s.theirsHandle,
    "/capture/book-event-ticket": async (request) => {
      captured = await request.text();
      return new Response("captured", { status: 599 });
    },
  });
  event = await s.createEvent(1000);
});
after(() => restoreFetch?.());

// A fresh body from the real jazz-tools client, never sent anywhere.
async function freshBody(client = s.clients[0]) {
  const route = jazzDefineRequest({
    url: "http://127.0.0.1/capture/book-event-ticket",
    workerId: s.worker.$jazz.id,
    request: { schema: { event: Event }, resolve: { event: { reservations: true } } },
    response: { schema: { ticket: Event } },
  });
  captured = undefined;
  await route.send({ event: await Event.load(event.$jazz.id, { loadAs: client }) }, { owner: client }).catch(() => {});
  assert.ok(captured, "captured a jazz-tools body");
  return captured;
}

const resign = (body, secret, createdAt) => {
  const b = JSON.parse(body);
  return getCore().signEnvelope({ contentPieces: b.contentPieces, id: b.id, createdAt }, secret);
};
const secretOf = (account) => account.$jazz.localNode.getCurrentAgent().currentSignerSecret();

async function answer(path, body) {
  const handler = path === "ours" ? s.oursHandle : s.theirsHandle;
  const response = await handler(new Request(`http://127.0.0.1/${path}/book-event-ticket`, { method: "POST", headers: { "Content-Type": "application/json" }, body }));
  if (response.rejected) return { rejected: true, error: String(response.rejected.message ?? response.rejected).slice(0, 60) };
  const text = await response.text();
  let message;
  try {
    message = JSON.parse(text).message;
  } catch {}
  return { status: response.status, message: response.status === 200 ? undefined : message };
}

// Each case makes a body per server (their replay states are separate), sends it, and compares.
const cases = [
  ["a valid request", async () => freshBody(), { status: 200 }, { status: 200 }],
  [
    "createdAt changed after signing",
    async () => {
      const b = JSON.parse(await freshBody());
      b.createdAt += 1;
      return JSON.stringify(b);
    },
    { status: 401, message: "Invalid signature" },
    { status: 401, message: "Invalid signature" },
  ],
  [
    "authToken changed",
    async () => {
      const b = JSON.parse(await freshBody());
      b.authToken = b.authToken.slice(0, -3) + (b.authToken.endsWith("111") ? "222" : "111");
      return JSON.stringify(b);
    },
    { status: 401, message: "Invalid signature" },
    { status: 401, message: "Invalid signature" },
  ],
  [
    "re-signed by an unrelated key with a fresh createdAt",
    async () => resign(await freshBody(), getCore().signKeypair().signerSecret, Date.now()),
    { status: 200 }, // jazz-tools accepts it: the signer is never tied to the creator
    { status: 401, message: "Request is not signed by its creator" },
  ],
  [
    "expired (signed by its creator 61 s ago)",
    async () => resign(await freshBody(), secretOf(s.clients[0]), Date.now() - 61_000),
    { status: 401, message: "Authentication token is expired" },
    { status: 401, message: "Authentication token is expired" },
  ],
  [
    "future-dated (signed by its creator 5 minutes ahead)",
    async () => resign(await freshBody(), secretOf(s.clients[0]), Date.now() + 300_000),
    { status: 200 }, // jazz-tools accepts it, and it stays valid for 6 minutes
    { status: 401, message: "Request is dated in the future" },
  ],
  ["not JSON", async () => "{not json", { rejected: true }, { status: 400, message: "Request payload is not valid JSON" }],
  [
    "JSON without the envelope's fields",
    async () => JSON.stringify({ contentPieces: [] }),
    { status: 400, message: "Request payload is not valid" },
    { status: 400, message: "Request payload is not valid" },
  ],
  [
    "a 2 MiB body",
    async () => JSON.stringify({ pad: "x".repeat(2 << 20) }),
    { status: 400, message: "Request payload is not valid" }, // read and parsed whole first
    { status: 413, message: "Request payload is too large" },
  ],
];

const table = [];
for (const [name, make, jazzExpected, oursExpected] of cases) {
  test(`${name}: jazz-tools ${JSON.stringify(jazzExpected)}, ours ${JSON.stringify(oursExpected)}`, async () => {
    const jazz = await answer("jazz", await make());
    const ours = await answer("ours", await make());
    table.push({ name, jazz, ours });
    if (jazzExpected.rejected) assert.equal(jazz.rejected, true, JSON.stringify(jazz));
    else assert.deepEqual(jazz, { status: jazzExpected.status, message: jazzExpected.message });
    assert.deepEqual(ours, { status: oursExpected.status, message: oursExpected.message });
  });
}

test("a duplicate: jazz-tools refuses it (400 already handled), ours answers it with the stored answer; each handler ran once", async () => {
  const before = (await Event.load(event.$jazz.id, { loadAs: s.worker, resolve: { reservations: true } })).reservations.length;
  const jazzBody = await freshBody();
  assert.equal((await answer("jazz", jazzBody)).status, 200);
  assert.deepEqual(await answer("jazz", jazzBody), { status: 400, message: "Request payload is already handled" });
  const oursBody = await freshBody();
  const post = () => s.oursHandle(new Request("http://127.0.0.1/ours/book-event-ticket", { method: "POST", headers: { "Content-Type": "application/json" }, body: oursBody }));
  const first = await post();
  const again = await post();
  assert.equal(first.status, 200);
  assert.equal(again.status, 200);
  assert.equal(again.headers.get("X-Jazz-Replayed"), "true");
  assert.equal(await again.text(), await first.text(), "the same bytes");
  const after = (await Event.load(event.$jazz.id, { loadAs: s.worker, resolve: { reservations: true } })).reservations.length;
  assert.equal(after - before, 2);
});

// jazz-tools' own send() does not retry. Below it, a fetch that loses the first
// response and sends the same body again (as a retrying HTTP client, a service
// worker or a proxy would): the real jazz-tools client gets its ticket, booked once.
test("a real jazz-tools client whose response was lost gets its ticket from the same body sent again; a 409 reaches it as a JazzRequestError", async () => {
  const client = s.clients[2];
  const before = (await Event.load(event.$jazz.id, { loadAs: s.worker, resolve: { reservations: true } })).reservations.length;
  let replayed = null;
  const lossy = async (request) => {
    const body = await request.text();
    const post = () => s.oursHandle(new Request(request.url, { method: "POST", headers: { "Content-Type": "application/json" }, body }));
    await post(); // its answer is lost on the way back
    const retry = await post();
    replayed = retry.headers.get("X-Jazz-Replayed");
    return retry;
  };
  const restore = installFetch({ "/lossy/book-event-ticket": lossy });
  try {
    const route = jazzDefineRequest({ ...definition(s.worker.$jazz.id, "http://127.0.0.1/lossy/book-event-ticket") });
    const { ticket } = await route.send({ event: await Event.load(event.$jazz.id, { loadAs: client }) }, { owner: client });
    assert.equal(replayed, "true", "the ticket came from the stored answer");
    assert.equal(ticket.account.$jazz.id, client.$jazz.id, "the client's own ticket, loaded");
    const after = (await Event.load(event.$jazz.id, { loadAs: s.worker, resolve: { reservations: true } })).reservations.length;
    assert.equal(after - before, 1, "booked once");

    // While a request runs, a copy is answered 409: jazz-tools' send() throws it as its JazzRequestError.
    const busy = async (request) => {
      const body = await request.text();
      const { id, createdAt } = JSON.parse(body);
      await s.guard.begin(id, createdAt + 60_000); // the first copy is running
      return s.oursHandle(new Request(request.url, { method: "POST", headers: { "Content-Type": "application/json" }, body }));
    };
    restore();
    const restoreBusy = installFetch({ "/busy/book-event-ticket": busy });
    try {
      const busyRoute = jazzDefineRequest({ ...definition(s.worker.$jazz.id, "http://127.0.0.1/busy/book-event-ticket") });
      await assert.rejects(busyRoute.send({ event: await Event.load(event.$jazz.id, { loadAs: client }) }, { owner: client }), (error) => {
        assert.equal(error.code, 409);
        assert.equal(error.message, "Request is being handled, retry");
        return true;
      });
    } finally {
      restoreBusy();
    }
  } finally {
    restore();
  }
});

// A captured, unhandled body taken over by another account: the request piece's
// sessions renamed to the thief's account, the thief's account piece added, the
// envelope re-signed by the thief. The body must be refused before its id is
// claimed, so that the real client's request is still handled.
test("a captured body re-signed by another account is refused and does not burn its id", async () => {
  const victimBody = await freshBody(s.clients[0]);
  const thief = s.clients[1];
  const thiefBody = JSON.parse(await freshBody(thief));
  const victim = JSON.parse(victimBody);
  const thiefId = thief.$jazz.id;
  const victimId = s.clients[0].$jazz.id;
  const pieces = structuredClone(victim.contentPieces).map((piece) => {
    if (piece?.id !== victim.id) return piece;
    const renamed = {};
    for (const [session, content] of Object.entries(piece.new)) renamed[session.replace(victimId, thiefId)] = content;
    return { ...piece, new: renamed };
  });
  pieces.push(thiefBody.contentPieces.find((p) => p?.id === thiefId));
  const forged = getCore().signEnvelope({ contentPieces: pieces, id: victim.id, createdAt: Date.now() }, secretOf(thief));
  const refused = await answer("ours", forged);
  assert.ok([400, 401].includes(refused.status), JSON.stringify(refused));
  assert.deepEqual(await answer("ours", victimBody), { status: 200, message: undefined }, "the real request is still handled");
  const again = await answer("ours", victimBody);
  assert.deepEqual(again, { status: 200, message: undefined }, "a duplicate gets the stored answer");
});

test("the table", () => {
  for (const row of table) console.log(`${row.name.padEnd(55)} jazz-tools ${JSON.stringify(row.jazz)}  ours ${JSON.stringify(row.ours)}`);
  assert.equal(table.length, cases.length);
});
