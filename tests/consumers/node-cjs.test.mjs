// Node, CommonJS: require("jazzrpc/node") and require("jazzrpc") on Node 20.19+ (no
// top-level await anywhere in the entry's module graph), a route, Account.create(), and
// send() through handle() in-process.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createProject, taggedLines } from "./harness.mjs";

test("Node CommonJS: require('jazzrpc/node') and require('jazzrpc')", { timeout: 300_000 }, async (t) => {
  const project = await createProject(t, "node-cjs", { folders: ["node-cjs"], type: "commonjs", dependencies: ["zod"] });
  const stdout = await project.node(["index.js"], { timeout: 30_000 });
  const { booked, refused, root } = taggedLines(stdout);
  assert.match(booked?.ticketId ?? "", /^jazz-night-/, stdout);
  assert.deepEqual(refused, { code: 400, message: "Event is full" });
  assert.equal(root.sameModule, true, 'require("jazzrpc") on Node is the same module as require("jazzrpc/node")');
});
