// toNodeListener(route, handler, options) (issue 18.1): the route's answer entry straight
// on node:http, with no Request or Response made unless the handler reads
// context.request. Same answers as handle(): a booking, its replay, refusals, oversized and
// cut bodies (the process stays up), the worker made from the environment on first use.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { connect } from "node:net";
import { z } from "zod";
import { Account, JazzRequestError, defineRequest, toNodeListener } from "../../../js-glue/src/entries/node.js";

const worker = Account.create();
const route = defineRequest({ url: "/api/book", workerId: worker.id, request: { eventId: z.string() }, response: { ticketId: z.string() } });
let runs = 0;
let requestsSeen = 0;
const handler = async ({ eventId }, madeBy, context) => {
  runs++;
  if (eventId === "full") throw new JazzRequestError("Event is full", 400, { seatsLeft: 0 });
  if (eventId === "peek") requestsSeen += context.request.headers.get("x-trace") === "t1" ? 1 : 0;
  return { ticketId: `${eventId}-${madeBy.id.slice(-4)}-${context.id.slice(-4)}` };
};
process.env.JAZZ_WORKER_ACCOUNT = worker.id;
process.env.JAZZ_WORKER_SECRET = worker.secret;
const server = createServer(toNodeListener(route, handler, { bodyTimeoutMs: 500 }));
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;
after(() => server.close());

test("a booking, its replay and a refusal, as handle() answers them; the worker made from the environment", async () => {
  const owner = Account.create();
  const prepared = await route.prepare({ eventId: "jazz" }, { owner });
  const first = await route.deliver(prepared, { baseUrl: base });
  assert.match(first.ticketId, /^jazz-/);
  const replay = await fetch(`${base}/api/book`, { method: "POST", headers: { "Content-Type": "application/json" }, body: prepared.body });
  assert.equal(replay.headers.get("X-Jazz-Replayed"), "true");
  await assert.rejects(route.send({ eventId: "full" }, { owner, baseUrl: base }), (e) => e.code === 400 && e.reason === "ERR_HANDLER" && e.details.seatsLeft === 0);
  assert.equal(runs, 2);
});

test("context.request is a Request, made when the handler reads it, with the request's headers", async () => {
  await route.send({ eventId: "peek" }, { owner: Account.create(), baseUrl: base, headers: { "X-Trace": "t1" } });
  assert.equal(requestsSeen, 1);
});

test("refusals with their reasons, and hostile bodies: the process stays up", async () => {
  const get = await fetch(`${base}/api/book`);
  assert.equal(get.status, 405);
  assert.equal((await get.json()).reason, "ERR_METHOD");
  const junk = await fetch(`${base}/api/book`, { method: "POST", body: "not json" });
  assert.equal((await junk.json()).reason, "ERR_NOT_JSON");
  for (let i = 0; i < 3; i++) {
    const big = await fetch(`${base}/api/book`, { method: "POST", body: "x".repeat(2 * 1048576) }).catch((e) => e);
    if (big instanceof Response) assert.equal(big.status, 413);
  }
  // A body cut mid-way, and one that trickles: no crash, 408 for the slow one.
  await new Promise((resolve) => {
    const socket = connect(Number(new URL(base).port), "127.0.0.1", () => {
      socket.write("POST /api/book HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"a\":");
      socket.destroy();
      resolve();
    });
    socket.on("error", () => {});
  });
  const slow = await new Promise((resolve) => {
    let answer = "";
    const socket = connect(Number(new URL(base).port), "127.0.0.1", () => socket.write("POST /api/book HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"));
    socket.on("data", (d) => (answer += d));
    socket.on("close", () => resolve(answer));
    socket.on("error", () => {});
    setTimeout(() => socket.destroy(), 3_000);
  });
  assert.match(slow, /^HTTP\/1\.1 408 /);
  assert.deepEqual(await route.send({ eventId: "after" }, { owner: Account.create(), baseUrl: base }).then((v) => typeof v.ticketId), "string");
});

test("options are checked as toFetchHandler's", () => {
  assert.throws(() => toNodeListener(route, handler, { wroker: worker }), /did you mean 'worker'/);
  assert.throws(() => toNodeListener(route), /handler/);
});
