// Node, ES modules: the README's quickstart as written (bookEventTicket.js, events.js,
// server.js with toNodeListener from "jazzrpc/node", client.js): the client books, and the
// handler's JazzRequestError("Event is full", 400) reaches it as a JazzRequestError.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createProject, makeWorkerAccount, taggedLines } from "./harness.mjs";

test("Node ES module: the README's quickstart, node:http server with toNodeListener and a client", { timeout: 300_000 }, async (t) => {
  const project = await createProject(t, "node-esm", { dependencies: ["zod"] });
  const worker = await makeWorkerAccount(project);
  const env = { JAZZ_WORKER_ACCOUNT: worker.id, JAZZ_WORKER_SECRET: worker.secret };
  const server = await project.start(process.execPath, ["server.js"], { env, ready: /listening on (http:\/\/127\.0\.0\.1:\d+)/ });
  const stdout = await project.node(["client.js", server.match[1]], { env: { JAZZ_WORKER_ACCOUNT: worker.id }, timeout: 30_000 });
  const { booked, refused } = taggedLines(stdout);
  assert.match(booked?.ticketId ?? "", /^jazz-night-3-/, stdout);
  assert.equal(booked.seatsLeft, 2);
  assert.deepEqual(refused, { code: 400, message: "Event is full", details: { seatsLeft: 0 }, isJazzRequestError: true });
});
