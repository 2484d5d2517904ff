// Deno 2 (npm's `deno` package) running the README's deno/server.js and client.js against
// jazzrpc from node_modules, with exactly the permissions the README lists.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileBlocks } from "../docs/blocks.mjs";
import { README, createProject, freePort, makeWorkerAccount, taggedLines } from "./harness.mjs";

// The README's list (its deno/server.js says `deno run <these> server.js`), checked below.
const DENO_PERMISSIONS = ["--allow-net=127.0.0.1", "--allow-read", "--allow-env"];

test(`Deno: the README's Deno.serve server and the client, deno run ${DENO_PERMISSIONS.join(" ")}`, { timeout: 300_000 }, async (t) => {
  const line = fileBlocks(README)["deno/server.js"]?.match(/deno run (.*) server\.js/)?.[1];
  assert.equal(line, DENO_PERMISSIONS.join(" "), "the permissions the README gives for Deno");

  const project = await createProject(t, "deno", { dependencies: ["zod", "deno"] });
  const worker = await makeWorkerAccount(project);
  const port = await freePort();
  const deno = project.bin("deno");
  const env = { JAZZ_WORKER_ACCOUNT: worker.id, JAZZ_WORKER_SECRET: worker.secret, PORT: String(port) };
  await project.start(deno, ["run", "--no-prompt", ...DENO_PERMISSIONS, "server.js"], { env, ready: port });
  const { stdout } = await project.run(deno, ["run", "--no-prompt", ...DENO_PERMISSIONS, "client.js", `http://127.0.0.1:${port}`], {
    env: { JAZZ_WORKER_ACCOUNT: worker.id },
    timeout: 60_000,
  });
  const { booked, refused } = taggedLines(stdout);
  assert.match(booked?.ticketId ?? "", /^jazz-night-3-/, stdout);
  assert.deepEqual(refused, { code: 400, message: "Event is full", details: { seatsLeft: 0 }, isJazzRequestError: true });
});
