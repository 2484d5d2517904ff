// Exactly once on Node with PostgreSQL, as the README shows it: postgres/server.js (PGlite in
// a folder, postgresExactlyOnce, the handler's writes through context.tx), the Quickstart's
// client: it books, then meets a full event. The server is then killed and started again
// over the same folder: the seat it sold stays sold.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createProject, makeWorkerAccount, taggedLines } from "./harness.mjs";

test("Node + PGlite: the README's exactly-once server books through context.tx, and a restart keeps the booking", { timeout: 300_000 }, async (t) => {
  const project = await createProject(t, "postgres", { dependencies: ["zod", "@electric-sql/pglite"] });
  const worker = await makeWorkerAccount(project);
  const env = { JAZZ_WORKER_ACCOUNT: worker.id, JAZZ_WORKER_SECRET: worker.secret };
  const first = await project.start(process.execPath, ["server.js"], { env, ready: /listening on (http:\/\/127\.0\.0\.1:\d+)/ });
  const stdout = await project.node(["client.js", first.match[1]], { env: { JAZZ_WORKER_ACCOUNT: worker.id }, timeout: 60_000 });
  const { booked, refused } = taggedLines(stdout);
  assert.match(booked?.ticketId ?? "", /^jazz-night-3-/, stdout);
  assert.equal(booked.seatsLeft, 2);
  assert.deepEqual(refused, { code: 400, message: "Event is full", details: { seatsLeft: 0 }, isJazzRequestError: true });
  await first.stop();
  const again = await project.start(process.execPath, ["server.js"], { env, ready: /listening on (http:\/\/127\.0\.0\.1:\d+)/ });
  const second = taggedLines(await project.node(["client.js", again.match[1]], { env: { JAZZ_WORKER_ACCOUNT: worker.id }, timeout: 60_000 }));
  assert.match(second.booked?.ticketId ?? "", /^jazz-night-2-/, "the first booking survived the restart");
  assert.equal(second.booked.seatsLeft, 1);
});
