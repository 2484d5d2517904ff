// Hostile traffic through every real server that serves a jazzrpc route, as a user deploys
// it from the packed tarball (one fresh project, hostile/project): node:http with
// toNodeListener (the README's Quickstart), @hono/node-server with jazzrpc/hono, Next.js
// (`next start` of a built app, jazzrpc/next), Deno.serve with toFetchHandler, and workerd
// (the wrangler-bundled Worker run by Miniflare, as worker.test.mjs does).
//
// Each server gets, twice (hostile/traffic.mjs): bodies over the 1 MiB limit with a
// declared Content-Length (sent, or held back) and chunked (2 and 8 MiB), the issue's
// fetch() POST of 2 MiB, uploads cut off after half, a body a byte every 50 ms (the
// route's bodyTimeoutMs is 1 s), garbage (not JSON, binary, empty, unsigned JSON, wrong
// methods, 12 KiB of headers), then 50 oversize and garbage requests at once, a valid
// request alongside. Every one must get its answer (413, 408, 400, 405/404) or, for the
// oversize and slow ones, a closed connection; after each round the serving process is
// still up and a request signed by a client account with the package's send() still
// succeeds; and its RSS after the second round is within 1.5x of after the first, plus
// 48 MiB.
import assert from "node:assert/strict";
import { copyFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { createProject, freePort, makeWorkerAccount, taggedLines } from "./harness.mjs";
import { MANY_AT_ONCE, hostileRound, listenerPid, processStatus, tally } from "./hostile/traffic.mjs";

const RSS_RATIO = 1.5;
const RSS_SLACK_KIB = 48 * 1024;
const DENO_PERMISSIONS = ["--allow-net=127.0.0.1", "--allow-read", "--allow-env"];

test("hostile traffic through node:http, Hono, Next.js, Deno.serve and workerd: answered, still up, memory flat", { timeout: 900_000 }, async (t) => {
  const project = await createProject(t, "hostile", {
    folders: ["hostile/project"],
    dependencies: ["zod", "hono", "@hono/node-server", "next", "react", "react-dom", "deno", "wrangler", "miniflare"],
  });
  const worker = await makeWorkerAccount(project);
  const secrets = { JAZZ_WORKER_ACCOUNT: worker.id, JAZZ_WORKER_SECRET: worker.secret };
  const workerDir = join(project.dir, "worker");
  // The Worker is served as the worker consumer serves it: its own local.js (Miniflare from scriptPath).
  await copyFile(fileURLToPath(new URL("./worker/local.js", import.meta.url)), join(workerDir, "local.js"));
  // Built once: the Next.js app (no secret at build time) and the Worker's bundle.
  await project.run(project.bin("next"), ["build"], { env: { JAZZ_WORKER_ACCOUNT: worker.id }, timeout: 300_000 });
  await project.run(project.bin("wrangler"), ["deploy", "--dry-run", "--outdir", "dist"], { cwd: workerDir, timeout: 180_000 });

  const servers = {
    "node:http + toNodeListener": async (port) => project.start(process.execPath, ["node-server.js"], { env: { ...secrets, PORT: String(port) }, ready: port }),
    "@hono/node-server + jazzrpc/hono": async (port) => project.start(process.execPath, ["hono-server.js"], { env: { ...secrets, PORT: String(port) }, ready: port }),
    "Next.js next start + jazzrpc/next": async (port) =>
      project.start(project.bin("next"), ["start", "-H", "127.0.0.1", "-p", String(port)], { env: secrets, ready: /Ready in/, timeout: 60_000 }),
    "Deno.serve + toFetchHandler": async (port) =>
      project.start(project.bin("deno"), ["run", "--no-prompt", ...DENO_PERMISSIONS, "deno-server.js"], { env: { ...secrets, PORT: String(port) }, ready: port }),
    "workerd (Miniflare) + wrangler bundle": async () =>
      project.start(process.execPath, ["local.js"], { cwd: workerDir, env: secrets, ready: /listening on http:\/\/127\.0\.0\.1:(\d+)/, timeout: 90_000 }),
  };

  for (const [name, startServer] of Object.entries(servers)) {
    await t.test(name, { timeout: 240_000 }, async (t) => {
      const log = (line) => t.diagnostic(`${name}: ${line}`);
      const wanted = await freePort();
      const server = await startServer(wanted);
      try {
        const port = server.match[1] ? Number(server.match[1]) : wanted;
        const url = `http://127.0.0.1:${port}`;
        const pid = listenerPid(port);
        assert.ok(pid, `no process listens on ${url}`);
        log(`serving ${url}, pid ${pid} (${processStatus(pid)?.name})`);
        const failures = [];
        // A process that is gone: its output read once it has all come (stop() waits for the close of its pipes).
        const crashed = async () => (await server.stop(), `${name}: the serving process (pid ${pid}) is gone. Its output:\n${server.output().slice(-3000)}`);

        // A request signed by a fresh client account, with the package's send().
        const valid = async (when) => {
          try {
            const stdout = await project.node(["client.js", url], { env: { JAZZ_WORKER_ACCOUNT: worker.id }, timeout: 30_000 });
            const { booked } = taggedLines(stdout);
            if (!/^hostile-/.test(booked?.ticketId ?? "")) failures.push(`${when}: a valid request did not book: ${stdout}`);
          } catch (error) {
            failures.push(`${when}: a valid request failed: ${String(error.message).slice(0, 600)}`);
          }
        };

        await valid("before the hostile traffic"); // also makes the worker, lazily made on the first request
        const rss = [processStatus(pid)?.rssKiB];
        for (const round of [1, 2]) {
          const started = Date.now();
          const results = await hostileRound(port, () => valid(`alongside round ${round}'s ${MANY_AT_ONCE} at once`));
          log(`round ${round} (${((Date.now() - started) / 1000).toFixed(1)} s):`);
          const byKind = new Map();
          for (const result of results) {
            const kind = result.kind.replace(/ at once: .*/, " at once");
            byKind.set(kind, [...(byKind.get(kind) ?? []), result]);
          }
          let refused = 0; // once the process is gone: counted, not listed
          for (const [kind, list] of byKind) {
            log(`  ${kind} -> ${tally(list)}${list.some((r) => !r.ok) ? "   <-- WRONG" : ""}`);
            const wrong = list.filter((r) => !r.ok);
            const noServer = wrong.filter((r) => r.outcome.closed === "ECONNREFUSED");
            refused += noServer.length;
            if (wrong.length > noServer.length) failures.push(`round ${round}: ${kind} -> ${tally(wrong.filter((r) => !noServer.includes(r)))}`);
          }
          if (refused > 0) failures.push(`round ${round}: ${refused} requests found no server (ECONNREFUSED)`);
          if (!processStatus(pid)) {
            failures.unshift(await crashed());
            break;
          }
          await valid(`after round ${round}`);
          rss.push(processStatus(pid)?.rssKiB);
        }
        log(`RSS (KiB) after warm-up, round 1, round 2: ${rss.join(", ")}`);
        // What the server printed meanwhile: each distinct first line of a message, counted.
        const printed = server.output().trim().split("\n");
        const heads = new Map();
        for (const line of printed) if (/^[^\s}]/.test(line) && !/^listening on|^\s*[▲✓-]|Ready in|^\s*$/.test(line)) heads.set(line.slice(0, 160), (heads.get(line.slice(0, 160)) ?? 0) + 1);
        log(`printed ${printed.length} lines${heads.size > 0 ? ", among them:" : ""}`);
        for (const [line, n] of heads) log(`  ${n > 1 ? `×${n} ` : ""}${line}`);
        if (rss.length === 3 && !(rss[2] <= RSS_RATIO * rss[1] + RSS_SLACK_KIB)) {
          failures.push(`memory grew: RSS ${rss[2]} KiB after round 2 > ${RSS_RATIO} x ${rss[1]} KiB after round 1 + ${RSS_SLACK_KIB} KiB`);
        }
        if (rss.length === 3 && !processStatus(pid)) failures.unshift(await crashed());
        if (failures.length > 0) assert.fail(`${name}:\n${failures.join("\n")}`);
      } finally {
        await server.stop();
      }
    });
  }
});
