// Linear cost whatever the chunking: a signed 200 KB body sent as 1-byte HTTP chunks
// costs the README's node:http server (toNodeListener + handle()) at most 1.5 times
// the CPU a bare node:http server spends collecting the same chunks, in the same
// process (server CPU time by process.cpuUsage, medians of alternating runs).
// Through Node's web-stream adapter it cost 2.5 times bare node:http (and about 640
// times the same body in one piece).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { connect } from "node:net";
import { z } from "zod";
import { Account, defineRequest } from "../../../js-glue/src/entries/node.js";

const worker = Account.create();
const route = defineRequest({ url: "/api/echo", workerId: worker.id, request: { text: z.string() }, response: { echoed: z.string() } });
let child;
let ports;

before(async () => {
  child = spawn(process.execPath, [new URL("./node-listener-server.mjs", import.meta.url).pathname], {
    env: { ...process.env, WORKER_SECRET: worker.secret, BODY_TIMEOUT_MS: "60000" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  ports = await new Promise((resolve) => child.stdout.once("data", (d) => resolve(JSON.parse(String(d)))));
});
after(() => child?.kill("SIGKILL"));

async function signedBody(text) {
  let body;
  await route.send({ text }, { owner: Account.create(), fetch: async (_u, init) => ((body = init.body), Promise.reject(new Error("captured"))), retry: false }).catch(() => {});
  return Buffer.from(body);
}

/** The body as HTTP/1.1 chunks of one byte each, written in large socket writes (the parser sees one chunk per byte). */
function oneByteChunks(body) {
  const parts = [];
  for (const byte of body) parts.push(`1\r\n${String.fromCharCode(byte)}\r\n`);
  return Buffer.from(parts.join("") + "0\r\n\r\n", "latin1");
}

function exchange(port, path, wire) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    socket.on("connect", () => socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`) && socket.write(wire));
    socket.on("data", (d) => (answer += d));
    socket.on("error", reject);
    socket.on("close", () => resolve(answer));
  });
}

async function serverCpu(port, path, wire) {
  const before = await (await fetch(`http://127.0.0.1:${port}/cpu`, { method: "POST" })).json();
  const answer = await exchange(port, path, wire);
  const after = await (await fetch(`http://127.0.0.1:${port}/cpu`, { method: "POST" })).json();
  return { answer, micros: after.user + after.system - before.user - before.system };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

test("a 200 KB body in 1-byte chunks: toNodeListener + handle() ÷ bare node:http, server CPU ≤ 1.5", async () => {
  const body = await signedBody("x".repeat(200_000));
  const ours = [];
  const bare = [];
  for (let round = 0; round < 5; round++) {
    const a = await serverCpu(ports.port, "/api/echo", oneByteChunks(await signedBody("x".repeat(200_000))));
    assert.match(a.answer, /^HTTP\/1\.1 200 /);
    const b = await serverCpu(ports.barePort, "/", oneByteChunks(body));
    assert.match(b.answer, /^HTTP\/1\.1 200 /);
    ours.push(a.micros);
    bare.push(b.micros);
  }
  const ratio = median(ours) / median(bare);
  console.log(`1-byte chunks, 200 KB: ours ${median(ours)} µs, bare ${median(bare)} µs, ratio ${ratio.toFixed(2)}`);
  assert.ok(ratio <= 1.5, `ours costs ${ratio.toFixed(2)} times bare node:http`);
});
