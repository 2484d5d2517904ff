// Hono on Node: app.post("/api/book", (c) => route.handle(c.req.raw, worker, handler)),
// served by @hono/node-server on 127.0.0.1, and a Node client.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createProject, makeWorkerAccount, taggedLines } from "./harness.mjs";

test("Hono on @hono/node-server, and a client", { timeout: 300_000 }, async (t) => {
  const project = await createProject(t, "hono", { folders: ["common", "hono"], dependencies: ["zod", "hono", "@hono/node-server"] });
  const worker = await makeWorkerAccount(project);
  const env = { JAZZ_WORKER_ACCOUNT: worker.id, JAZZ_WORKER_SECRET: worker.secret };
  const server = await project.start(process.execPath, ["server.js"], { env, ready: /listening on (http:\/\/127\.0\.0\.1:\d+)/ });
  const stdout = await project.node(["client.js", server.match[1]], { env: { JAZZ_WORKER_ACCOUNT: worker.id }, timeout: 30_000 });
  const { booked, refused } = taggedLines(stdout);
  assert.match(booked?.ticketId ?? "", /^jazz-night-3-/, stdout);
  assert.deepEqual(refused, { code: 400, message: "Event is full", details: { seatsLeft: 0 }, isJazzRequestError: true });
});
