// Deno 2 (npm's `deno` package) running a program against jazzrpc from node_modules, with
// exactly the permissions the README lists: Deno.serve on 127.0.0.1 and a client.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createProject, taggedLines } from "./harness.mjs";

// Keep equal to the permissions the README gives for Deno.
export const DENO_PERMISSIONS = ["--allow-read", "--allow-net=127.0.0.1"];

test(`Deno: Deno.serve and a client, deno run ${DENO_PERMISSIONS.join(" ")}`, { timeout: 300_000 }, async (t) => {
  const project = await createProject(t, "deno", { folders: ["deno"], dependencies: ["zod", "deno"] });
  const { stdout } = await project.run(project.bin("deno"), ["run", "--no-prompt", ...DENO_PERMISSIONS, "main.js"], { timeout: 60_000 });
  const { booked, refused } = taggedLines(stdout);
  assert.match(booked?.ticketId ?? "", /^jazz-night-/, stdout);
  assert.deepEqual(refused, { code: 400, message: "Event is full", details: { seatsLeft: 0 } });
});
