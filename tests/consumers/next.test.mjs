// Next.js (App Router): the README's app/api/book/route.js (jazzrpc/next, the worker made on
// the first request); `next build` with no secret set, then `next start` on 127.0.0.1 with
// the secrets, and the README's client.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createProject, freePort, makeWorkerAccount, taggedLines } from "./harness.mjs";

test("Next.js: next build without secrets, next start, the client books", { timeout: 480_000 }, async (t) => {
  const project = await createProject(t, "next", { dependencies: ["zod", "next", "react", "react-dom"] });
  const worker = await makeWorkerAccount(project);
  // Neither the account id nor the secret is set: the route file reads workerId when the
  // first request comes, so `next build` needs nothing.
  await project.run(project.bin("next"), ["build"], { env: { JAZZ_WORKER_ACCOUNT: "", JAZZ_WORKER_SECRET: "" }, timeout: 300_000 });

  const port = await freePort();
  const env = { JAZZ_WORKER_ACCOUNT: worker.id, JAZZ_WORKER_SECRET: worker.secret };
  await project.start(project.bin("next"), ["start", "-H", "127.0.0.1", "-p", String(port)], { env, ready: /Ready in/, timeout: 60_000 });
  const stdout = await project.node(["client.js", `http://127.0.0.1:${port}`], { env: { JAZZ_WORKER_ACCOUNT: worker.id }, timeout: 60_000 });
  const { booked, refused } = taggedLines(stdout);
  assert.match(booked?.ticketId ?? "", /^jazz-night-3-/, stdout);
  assert.deepEqual(refused, { code: 400, message: "Event is full", details: { seatsLeft: 0 }, isJazzRequestError: true });
});
