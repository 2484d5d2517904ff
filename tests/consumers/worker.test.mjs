// A Worker from a fresh project: the README's src/worker.js ("jazzrpc/cloudflare",
// toFetchHandler, the Durable Object guard) with its route and handler, bundled by
// `wrangler deploy --dry-run --outdir dist`, then run in workerd by Miniflare from
// scriptPath with a CompiledWasm module rule and no module list (local.js), offline.
// It books; the same body sent again is refused (or, once requests are exactly-once,
// answered again with X-Jazz-Replayed: true); the handler ran once for it.
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { createProject, makeWorkerAccount, taggedLines } from "./harness.mjs";

test("Worker: the README's Worker bundled by wrangler, in Miniflare from scriptPath; a replay is not handled twice", { timeout: 420_000 }, async (t) => {
  const project = await createProject(t, "worker", { folders: ["worker"], dependencies: ["zod", "wrangler", "miniflare"] });
  const worker = await makeWorkerAccount(project);
  const env = { JAZZ_WORKER_ACCOUNT: worker.id, JAZZ_WORKER_SECRET: worker.secret };

  await project.run(project.bin("wrangler"), ["deploy", "--dry-run", "--outdir", "dist"], { timeout: 180_000 });
  project.log(`dist/: ${(await readdir(join(project.dir, "dist"))).join(", ")}`);

  const server = await project.start(process.execPath, ["local.js"], { env, ready: /listening on (http:\/\/127\.0\.0\.1:\d+)\/?/, timeout: 90_000 });
  const stdout = await project.node(["client.js", server.match[1]], { env: { JAZZ_WORKER_ACCOUNT: worker.id }, timeout: 60_000 });
  const { booked, replay, next } = taggedLines(stdout);
  assert.match(booked?.ticketId ?? "", /^jazz-night-3-/, `${stdout}\n${server.output()}`);
  assert.equal(booked.seatsLeft, 2);

  // The two documented answers to a replay: refused (jazz-tools' answer), or the stored
  // answer replayed (exactly-once), marked X-Jazz-Replayed: true.
  const refused = replay.status === 400 && replay.body.message === "Request payload is already handled";
  const replayed = replay.status === 200 && replay.replayedHeader === "true" && replay.body.type === "success";
  assert.ok(refused || replayed, `a replay must be refused (400 Request payload is already handled) or replayed (200, X-Jazz-Replayed: true); got ${JSON.stringify(replay)}`);
  project.log(`replay answered ${replay.status} ${replay.body.message ?? replay.body.type}${replay.replayedHeader ? ` (X-Jazz-Replayed: ${replay.replayedHeader})` : ""}`);
  // The handler ran once for the replayed body: the next booking takes the next seat.
  assert.equal(next?.seatsLeft, 1, `the handler ran once for the first body and its replay: ${stdout}`);
});
