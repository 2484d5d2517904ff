// Hostile traffic against a real node:http server on 127.0.0.1 (toNodeListener):
// a client that sends its body a byte at a time gets 408 after bodyTimeoutMs
// instead of holding handle() until the platform gives up, and the server goes
// on answering others meanwhile.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { connect } from "node:net";
import { z } from "zod";
import { Account, defineRequest, toNodeListener } from "../../../js-glue/src/entries/node.js";

const worker = Account.create();
const route = defineRequest({
  url: "/api/echo",
  workerId: worker.id,
  request: { text: z.string() },
  response: { echoed: z.string() },
  options: { bodyTimeoutMs: 300 },
});
let runs = 0;
const server = createServer(
  toNodeListener((request) => route.handle(request, worker, async ({ text }) => (runs++, { echoed: text }))),
);
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address();
after(() => server.close());

/** Sends the head, then the body one byte every `everyMs`; resolves to the raw answer. */
function trickle(body, everyMs) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    let i = 0;
    let timer;
    socket.on("connect", () => {
      socket.write(`POST /api/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      timer = setInterval(() => {
        if (i < body.length && !socket.destroyed) socket.write(body.subarray(i, ++i));
      }, everyMs);
    });
    socket.on("data", (chunk) => {
      answer += chunk;
      if (answer.includes("\r\n\r\n") && answer.includes("}")) {
        clearInterval(timer);
        socket.destroy();
        resolve(answer);
      }
    });
    socket.on("error", (error) => (clearInterval(timer), reject(error)));
    socket.on("close", () => (clearInterval(timer), resolve(answer)));
  });
}

async function bodyFor(text) {
  let body;
  await route.send({ text }, { owner: Account.create(), fetch: async (_u, init) => { body = init.body; throw new Error("captured"); } }).catch(() => {});
  return Buffer.from(body);
}

test("a body sent a byte at a time is answered 408 within bodyTimeoutMs, while others are served", async () => {
  const started = Date.now();
  const slowBody = await bodyFor("slow");
  const fullTrickleMs = slowBody.length * 50; // what waiting for the whole body would take
  const slow = trickle(slowBody, 50);
  // Meanwhile an ordinary client is answered at once.
  const ordinary = await fetch(`http://127.0.0.1:${port}/api/echo`, { method: "POST", headers: { "Content-Type": "application/json" }, body: await bodyFor("fast") });
  assert.equal(ordinary.status, 200);
  const answer = await slow;
  const elapsed = Date.now() - started;
  assert.match(answer, /^HTTP\/1\.1 408 /);
  assert.match(answer, /"Request body timed out"/);
  // Answered long before the body could have arrived (a bound relative to it, not a time limit).
  assert.ok(elapsed < fullTrickleMs / 2, `answered after ${elapsed} ms; the whole body takes ${fullTrickleMs} ms`);
  assert.equal(runs, 1, "only the ordinary request ran the handler");
});
