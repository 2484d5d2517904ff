// Hono on Node: the README's hono/server.js (the jazzrpc/hono adapter, @hono/node-server)
// on 127.0.0.1, and the README's client.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createProject, freePort, makeWorkerAccount, taggedLines } from "./harness.mjs";

test("Hono: the README's server on @hono/node-server, and the client", { timeout: 300_000 }, async (t) => {
  const project = await createProject(t, "hono", { dependencies: ["zod", "hono", "@hono/node-server"] });
  const worker = await makeWorkerAccount(project);
  const port = await freePort();
  const env = { JAZZ_WORKER_ACCOUNT: worker.id, JAZZ_WORKER_SECRET: worker.secret, PORT: String(port) };
  await project.start(process.execPath, ["server.js"], { env, ready: port });
  const stdout = await project.node(["client.js", `http://127.0.0.1:${port}`], { env: { JAZZ_WORKER_ACCOUNT: worker.id }, timeout: 30_000 });
  const { booked, refused } = taggedLines(stdout);
  assert.match(booked?.ticketId ?? "", /^jazz-night-3-/, stdout);
  assert.deepEqual(refused, { code: 400, message: "Event is full", details: { seatsLeft: 0 }, isJazzRequestError: true });
});
