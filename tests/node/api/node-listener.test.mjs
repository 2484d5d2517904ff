// Hostile traffic through the README's node:http server (toNodeListener), in a child
// process so that a crash is seen as one: oversized bodies (declared and chunked),
// uploads cut mid-body, garbage, a handler of the app's own that cancels request.body,
// many at once. Each gets its answer or a closed connection; the process stays up,
// the handler never runs for them, and a signed request still succeeds afterwards.
// Before node-body.js, the first oversized body killed the process (ERR_INVALID_STATE).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { z } from "zod";
import { Account, defineRequest } from "../../../js-glue/src/entries/node.js";

const worker = Account.create();
const route = defineRequest({ url: "/api/echo", workerId: worker.id, request: { text: z.string() }, response: { echoed: z.string() } });
let child;
let base;
let exited = null;

before(async () => {
  child = spawn(process.execPath, [new URL("./node-listener-server.mjs", import.meta.url).pathname], {
    env: { ...process.env, WORKER_SECRET: worker.secret, BODY_TIMEOUT_MS: "400" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  child.on("exit", (code, signal) => (exited = { code, signal, stderr }));
  const port = await new Promise((resolve, reject) => {
    child.stdout.once("data", (d) => resolve(JSON.parse(String(d)).port));
    child.once("exit", () => reject(new Error(`server exited: ${stderr}`)));
  });
  base = `http://127.0.0.1:${port}`;
});
after(() => child?.kill("SIGKILL"));

function assertAlive() {
  assert.equal(exited, null, `the server process died: ${JSON.stringify(exited)}`);
}

/** Raw HTTP/1.1 over a socket: writes head then body parts; resolves to what came back when the socket closes or the answer is complete. */
function rawExchange({ head, parts = [], cutAfter = Infinity, waitMs = 5_000 }) {
  return new Promise((resolve) => {
    const socket = connect(Number(new URL(base).port), "127.0.0.1");
    let answer = "";
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(done, waitMs);
    socket.on("connect", async () => {
      socket.write(head);
      let sent = 0;
      for (const part of parts) {
        if (socket.destroyed) break;
        if (sent + part.length > cutAfter) {
          socket.write(part.subarray(0, cutAfter - sent));
          socket.destroy(); // the upload is cut mid-body
          return done();
        }
        const flushed = socket.write(part);
        sent += part.length;
        if (!flushed) await new Promise((r) => socket.once("drain", r).once("close", r));
      }
    });
    socket.on("data", (chunk) => {
      answer += chunk;
      const end = answer.indexOf("\r\n\r\n");
      const length = /content-length: (\d+)/i.exec(answer)?.[1];
      if (end >= 0 && length !== undefined && answer.length >= end + 4 + Number(length)) done();
    });
    socket.on("error", () => {});
    socket.on("close", done);
  });
}

const post = (path, body, headers = {}) => fetch(base + path, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });

async function signedBody(text) {
  let body;
  await route.send({ text }, { owner: Account.create(), fetch: async (_u, init) => ((body = init.body), Promise.reject(new Error("captured"))), retry: false }).catch(() => {});
  return body;
}

test("a 2 MiB body with its length declared is answered 413 and the server stays up (three times)", async () => {
  for (let i = 0; i < 3; i++) {
    const response = await post("/api/echo", "x".repeat(2 * 1048576)).catch((error) => error);
    if (response instanceof Response) {
      assert.equal(response.status, 413);
      assert.match((await response.json()).message, /too large/);
    }
  }
  await new Promise((r) => setTimeout(r, 300));
  assertAlive();
});

test("an 8 MiB chunked body with no length is answered 413 before it is all read", async () => {
  const chunk = Buffer.alloc(64 * 1024, 0x5b);
  const parts = [];
  for (let i = 0; i < 128; i++) parts.push(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from("\r\n")]));
  parts.push(Buffer.from("0\r\n\r\n"));
  const answer = await rawExchange({ head: "POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", parts });
  assert.match(answer, /^HTTP\/1\.1 413 /);
  assert.match(answer, /connection: close/i);
  assertAlive();
});

test("uploads cut mid-body and slow bodies: no crash, the slow one gets 408", async () => {
  const body = Buffer.from(await signedBody("cut"));
  const cuts = [];
  for (let i = 0; i < 20; i++) {
    cuts.push(rawExchange({ head: `POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`, parts: [body], cutAfter: body.length >> 1, waitMs: 1_000 }));
  }
  await Promise.all(cuts);
  const slow = await rawExchange({ head: `POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n`, parts: [Buffer.from("{")], waitMs: 5_000 });
  assert.match(slow, /^HTTP\/1\.1 408 /);
  await new Promise((r) => setTimeout(r, 200));
  assertAlive();
});

test("garbage gets 400 or 405, and a handler that cancels request.body itself does not crash the server", async () => {
  assert.equal((await post("/api/echo", "not json")).status, 400);
  assert.equal((await post("/api/echo", new Uint8Array([0, 255, 1, 2]))).status, 400);
  assert.equal((await post("/api/echo", "")).status, 400);
  assert.equal((await fetch(base + "/api/echo")).status, 405);
  for (let i = 0; i < 3; i++) {
    const response = await post("/raw", "y".repeat(2 * 1048576)).catch((error) => error);
    if (response instanceof Response) assert.equal(response.status, 413);
  }
  const small = await post("/raw", "z".repeat(1000));
  assert.deepEqual(await small.json(), { total: 1000 });
  await new Promise((r) => setTimeout(r, 300));
  assertAlive();
});

test("50 hostile requests at once, then a signed request is served; the handler ran only for it", async () => {
  const hostile = [];
  for (let i = 0; i < 50; i++) {
    hostile.push(post("/api/echo", i % 3 ? "x".repeat(1.5 * 1048576) : "garbage").catch(() => null));
  }
  const answers = await Promise.all(hostile);
  for (const response of answers) if (response) assert.ok([400, 413].includes(response.status), `status ${response.status}`);
  assert.ok(answers.filter(Boolean).length >= 25, "most hostile requests got their answer");
  assertAlive();
  const ok = await post("/api/echo", await signedBody("hello"));
  assert.equal(ok.status, 200);
  const { runs } = await (await fetch(base + "/runs", { method: "POST" })).json();
  assert.equal(runs, 1);
});
