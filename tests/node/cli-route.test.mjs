// The CLI against a running server: `jazzrpc request` makes a body a route accepts
// (posted as `curl --data-binary @-` would post the CLI's output, newline and all),
// and `verify-request --url --worker` answers what the server answers (status,
// message, and exit 0 only when the server accepts) for good, tampered, expired,
// future, wrong-route, wrong-worker, raw-envelope and garbage bodies. The server is
// node:http with toNodeListener(toFetchHandler(route)) on 127.0.0.1, as the README's.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { Account, experimental_defineRequest, toFetchHandler, toNodeListener } from "../../js-glue/src/entries/node.js";

const BIN = fileURLToPath(new URL("../../js-glue/bin/jazzrpc.js", import.meta.url));
// The CLI as a child process, awaited (never spawnSync: a blocked event loop would
// keep the server's and fetch's keep-alive timers from running in this process).
const run = (args, { input = "", env = {} } = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, JAZZRPC_SECRET: "", ...env }, timeout: 20_000 });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (chunk) => (out += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk) => (err += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out, err }));
    child.stdin.on("error", () => {}); // EPIPE when the CLI exits before reading stdin
    child.stdin.end(input);
  });

const worker = Account.create();
const client = Account.create();
const other = Account.create(); // neither the worker nor the client
const URL_PATH = "/api/book";
const bookings = [];
const route = experimental_defineRequest({
  url: URL_PATH,
  workerId: worker.id,
  request: { eventId: z.string() },
  response: { ticketId: z.string(), madeBy: z.string() },
});
let server;
let base;
let dir;

before(async () => {
  const handler = ({ eventId }, madeBy) => {
    bookings.push(eventId);
    return { ticketId: `ticket-${eventId}`, madeBy: madeBy.id };
  };
  server = createServer(toNodeListener(toFetchHandler(route, handler, { worker, onError: () => {} })));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  dir = mkdtempSync(join(tmpdir(), "jazzrpc-cli-route-"));
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const post = async (body, name = "") => {
  let response;
  try {
    response = await fetch(base + URL_PATH, { method: "POST", headers: { "Content-Type": "application/json" }, body });
  } catch (error) {
    throw new Error(`POST ${name}: ${error.message} (${error.cause?.code} ${error.cause?.message})`, { cause: error });
  }
  return { status: response.status, json: await response.json() };
};

/** A body made by the CLI for the client, with the secret in the environment. */
async function requestBody(args) {
  const made = await run(["request", ...args], { env: { JAZZRPC_SECRET: client.secret } });
  assert.equal(made.code, 0, made.err);
  assert.equal(made.err, "");
  assert.ok(made.out.endsWith("\n"));
  return made.out; // posted as it is, as `| curl --data-binary @-` posts it
}

test("request makes a body the running server accepts: 200, the handler ran with the value, madeBy is the secret's account", async () => {
  const body = await requestBody(["--url", URL_PATH, "--worker", worker.id, "--value", '{"eventId":"e1"}']);
  const answer = await post(body);
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  assert.equal(answer.json.type, "success");
  const { contentPieces } = answer.json.payload;
  assert.deepEqual(contentPieces[0].value, { ticketId: "ticket-e1", madeBy: client.id });
  assert.deepEqual(bookings.slice(-1), ["e1"]);
});

test("request takes a full url (its path is the route's), the value from stdin, and the secret from --secret-stdin or --secret-file", async () => {
  const viaStdinValue = await run(["request", "--url", `https://example.test${URL_PATH}?x=1`, "--worker", worker.id], {
    input: '{"eventId":"e2"}',
    env: { JAZZRPC_SECRET: client.secret },
  });
  assert.equal(viaStdinValue.code, 0, viaStdinValue.err);
  assert.equal((await post(viaStdinValue.out)).status, 200);

  const viaSecretStdin = await run(["request", "--url", URL_PATH, "--worker", worker.id, "--value", '{"eventId":"e3"}', "--secret-stdin"], {
    input: client.secret + "\n",
  });
  assert.equal(viaSecretStdin.code, 0, viaSecretStdin.err);
  const answer = await post(viaSecretStdin.out);
  assert.equal(answer.status, 200);
  assert.equal(answer.json.payload.contentPieces[0].value.madeBy, client.id);

  const file = join(dir, "client-secret");
  writeFileSync(file, client.secret + "\n", { mode: 0o600 });
  const viaFile = await run(["request", "--url", URL_PATH, "--worker", worker.id, "--value", '{"eventId":"e4"}', "--secret-file", file]);
  assert.equal(viaFile.code, 0, viaFile.err);
  assert.equal((await post(viaFile.out)).status, 200);
  assert.deepEqual(bookings.slice(-3), ["e2", "e3", "e4"]);
});

test("request refuses a secret on argv, a missing secret, route or worker, and a value that is not a JSON object (exit 2, nothing on stdout)", async () => {
  const env = { JAZZRPC_SECRET: client.secret };
  const cases = [
    [["--url", URL_PATH, "--worker", worker.id, "--value", "{}", "--secret", client.secret], {}, /JAZZRPC_SECRET/],
    [["--url", URL_PATH, "--worker", worker.id, "--value", "{}"], {}, /needs the signerSecret: set JAZZRPC_SECRET or pass --secret-file <path> or --secret-stdin/],
    [["--worker", worker.id, "--value", "{}"], env, /--url/],
    [["--url", URL_PATH, "--value", "{}"], env, /--worker/],
    [["--url", URL_PATH, "--worker", worker.id, "--value", "[1]"], env, /JSON object/],
    [["--url", URL_PATH, "--worker", worker.id, "--value", "{x"], env, /--value is not JSON/],
    [["--url", URL_PATH, "--worker", worker.id, "--secret-stdin"], {}, /--value/],
  ];
  for (const [args, caseEnv, message] of cases) {
    const result = await run(["request", ...args], { env: caseEnv, input: client.secret });
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.err}`);
    assert.equal(result.out, "");
    assert.match(result.err, message);
    assert.ok(!result.err.includes(client.secret), "the secret is never echoed");
  }
});

test("verify-request --url --worker answers as the server does, for every kind of body", async () => {
  const good = () => requestBody(["--url", URL_PATH, "--worker", worker.id, "--value", `{"eventId":"v${Math.random()}"}`]);
  const goodBody = await good();
  const tampered = (await good()).replace('"eventId":"v', '"eventId":"w');
  const expired = await requestBody(["--url", URL_PATH, "--worker", worker.id, "--value", '{"eventId":"old"}', "--now", String(Date.now() - 120_000)]);
  const future = await requestBody(["--url", URL_PATH, "--worker", worker.id, "--value", '{"eventId":"later"}', "--now", String(Date.now() + 120_000)]);
  const wrongRoute = await requestBody(["--url", "/api/cancel", "--worker", worker.id, "--value", '{"eventId":"r"}']);
  const wrongWorker = await requestBody(["--url", URL_PATH, "--worker", other.id, "--value", '{"eventId":"w"}']);
  const rawEnvelope = await run(["sign"], { input: '[{"eventId":"raw"}]', env: { JAZZRPC_SECRET: client.secret } });
  assert.equal(rawEnvelope.code, 0, rawEnvelope.err);
  // The signature of another account over the same content: the id is kept, the signer changed.
  const parsed = JSON.parse(await good());
  const resigned = JSON.stringify({ ...parsed, signerID: other.signerID });

  const bodies = { good: goodBody, tampered, expired, future, wrongRoute, wrongWorker, rawEnvelope: rawEnvelope.out, resigned, garbage: "not json" };
  const expected = {
    good: [200, "OK"],
    tampered: [401, "Invalid signature"],
    expired: [401, "Authentication token is expired"],
    future: [401, "Request is dated in the future"],
    wrongRoute: [400, "Request is signed for another route"],
    wrongWorker: [400, "Request is signed for another worker"],
    rawEnvelope: [400, "Request payload is not valid"],
    resigned: [401, "Invalid signature"],
    garbage: [400, "Request payload is not valid JSON"],
  };
  for (const [name, body] of Object.entries(bodies)) {
    const verdict = await run(["verify-request", "--url", URL_PATH, "--worker", worker.id], { input: body });
    assert.notEqual(verdict.code, 2, `${name}: ${verdict.err}`);
    const line = JSON.parse(verdict.out);
    const served = await post(body, name);
    const serverMessage = served.status === 200 ? "OK" : served.json.message;
    assert.deepEqual([served.status, serverMessage], expected[name], `${name}: the server's answer`);
    assert.deepEqual([line.status, line.message], [served.status, serverMessage], `${name}: verify-request says what the server says`);
    assert.equal(line.ok, served.status === 200, name);
    assert.equal(verdict.code, served.status === 200 ? 0 : 1, `${name}: exit 0 only when the server accepts`);
    assert.equal(line.checked, "route", name);
    if (served.json?.reason !== undefined) assert.equal(line.code, served.json.reason, `${name}: the server's reason`);
  }
});

test("verify-request's --now, --window and --skew move the window as a route's options do", async () => {
  const createdAt = 1_800_000_000_000;
  const body = await requestBody(["--url", URL_PATH, "--worker", worker.id, "--value", '{"eventId":"t"}', "--now", String(createdAt)]);
  const at = async (now, ...extra) => {
    const result = await run(["verify-request", "--url", URL_PATH, "--worker", worker.id, "--now", String(now), ...extra], { input: body });
    return [result.code, JSON.parse(result.out).code];
  };
  assert.deepEqual(await at(createdAt), [0, "OK"]);
  assert.deepEqual(await at(createdAt + 59_999), [0, "OK"]);
  assert.deepEqual(await at(createdAt + 60_001), [1, "ERR_EXPIRED"]);
  assert.deepEqual(await at(createdAt + 60_001, "--window", "120000"), [0, "OK"]);
  assert.deepEqual(await at(createdAt - 10_000), [0, "OK"]);
  assert.deepEqual(await at(createdAt - 10_001), [1, "ERR_FUTURE"]);
  assert.deepEqual(await at(createdAt - 10_001, "--skew", "20000"), [0, "OK"]);
  const bad = await run(["verify-request", "--url", URL_PATH, "--worker", worker.id, "--window=-5"], { input: body });
  assert.equal(bad.code, 2);
  assert.match(bad.err, /window/);
  const half = await run(["verify-request", "--url", URL_PATH], { input: body });
  assert.equal(half.code, 2);
  assert.match(half.err, /--worker/);
});

test("sign makes raw envelopes only: a route message is refused with the command to use, and verify-request without a route says it checked the signature only", async () => {
  const env = { JAZZRPC_SECRET: client.secret };
  const routeShaped = JSON.parse(await requestBody(["--url", URL_PATH, "--worker", worker.id, "--value", '{"eventId":"s"}'])).contentPieces;
  const refused = await run(["sign"], { input: JSON.stringify(routeShaped), env });
  assert.equal(refused.code, 2);
  assert.equal(refused.out, "");
  assert.match(refused.err, /jazzrpc request --url/);

  const raw = await run(["sign"], { input: "[]", env });
  const signatureOnly = await run(["verify-request"], { input: raw.out });
  assert.equal(signatureOnly.code, 0, signatureOnly.err);
  assert.equal(JSON.parse(signatureOnly.out).checked, "signature");
  assert.match(signatureOnly.err, /signature and time window only.*--url and --worker/s);
  const help = await run(["--help"]);
  assert.match(help.out, /sign .*\n.*raw envelope/);
  assert.match(help.out, /A jazzrpc route refuses such a body: make route bodies with `request`/);
});
