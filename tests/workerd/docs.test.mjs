// docs/cloudflare.md's whole program, copied out of the page into a fresh folder,
// bundled by wrangler and served in workerd from scriptPath with a CompiledWasm rule
// (as the page says): it books until the event is full, refuses a replay, and
// refuses a secret that is not JAZZ_WORKER_ACCOUNT's; the page's client books against it.
// Prints the sizes the page quotes. Every other block of docs/*.md is a shell block whose
// commands are checked here (SHELL_CHECKS): a block that no test runs or checks fails.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { after, test } from "node:test";
import { symlink } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { Account } from "../../js-glue/src/entries/node.js";
import { fileBlocks, writeBlocks } from "../docs/blocks.mjs";
import { ROOT, bundleWorker, captureBody, describeBundle, postBody, removeDir, startLocal, tempDir } from "./_support.mjs";

const files = fileBlocks(join(ROOT, "docs/cloudflare.md"));
const project = await tempDir("docs-cloudflare");
const outdir = await tempDir("docs-cloudflare-bundle");
const written = await writeBlocks(files, project);
await symlink(join(ROOT, "node_modules"), join(project, "node_modules"), "dir"); // jazzrpc, zod, wrangler
const configPath = join(project, "wrangler.jsonc");
const bundle = await bundleWorker(configPath, outdir);
const worker = Account.create();
const start = (secret = worker.secret) =>
  startLocal({ configPath, bundle, bindings: { JAZZ_WORKER_ACCOUNT: worker.id, JAZZ_WORKER_SECRET: secret } });
const local = await start();
after(async () => {
  await local.dispose();
  await removeDir(project);
  await removeDir(outdir);
});
const { defineBookEventTicket } = await import(pathToFileURL(join(project, "src/bookEventTicket.js")).href);
const route = defineBookEventTicket(worker.id);

test("docs/cloudflare.md holds the whole program: wrangler.jsonc, src/bookEventTicket.js, src/worker.js, client.js", (t) => {
  assert.deepEqual(written.sort(), ["client.js", "src/bookEventTicket.js", "src/worker.js", "wrangler.jsonc"]);
  t.diagnostic(`npx wrangler deploy --dry-run --outdir dist: ${describeBundle(bundle).replaceAll("\n", ";")}`);
});

// An error answer's JSON without its stable reason (issue 16.4: a `reason` beside message and
// code, which jazz-tools clients ignore), checked to be the expected one when the package sends it.
function withoutReason(json, reason) {
  if (!("reason" in json)) return json;
  const { reason: sent, ...rest } = json;
  assert.equal(sent, reason);
  return rest;
}

test("the page's Worker books until jazz-night is full, refuses bad bodies in the Worker, and answers a retry with the stored answer", async () => {
  const results = [];
  for (let i = 0; i < 4; i++) {
    try {
      results.push(await route.send({ eventId: "jazz-night" }, { owner: Account.create(), baseUrl: local.url }));
    } catch (error) {
      results.push({ code: error.code, message: error.message, details: error.details });
    }
  }
  assert.deepEqual(results.slice(0, 3).map((r) => r.seatsLeft), [2, 1, 0]);
  assert.deepEqual(results.slice(0, 3).map((r) => r.ticketId), ["jazz-night-1", "jazz-night-2", "jazz-night-3"]);
  assert.deepEqual(results[3], { code: 400, message: "Event is full", details: { seatsLeft: 0 } });
  const nowhere = await postBody(local.url, await captureBody(route, { eventId: "nowhere" }), route.path);
  assert.deepEqual(nowhere, { status: 404, json: { message: "No such event", code: 404 }, replayed: false });
  const tampered = await postBody(local.url, (await captureBody(route, { eventId: "jazz-night" })).replace("jazz-night", "nowhere"), route.path);
  assert.deepEqual({ ...tampered, json: withoutReason(tampered.json, "ERR_BAD_SIGNATURE") }, { status: 401, json: { message: "Invalid signature", code: 401 }, replayed: false });
  // A client whose answer was lost sends the same body again: the same answer, no second booking.
  const body = await captureBody(route, { eventId: "jazz-night" });
  const first = await postBody(local.url, body, route.path);
  const again = await postBody(local.url, body, route.path);
  assert.deepEqual(withoutReason(first.json, "ERR_HANDLER"), { message: "Event is full", code: 400, details: { seatsLeft: 0 } });
  assert.deepEqual(again, { ...first, replayed: true });
});

test("a JAZZ_WORKER_SECRET that is not JAZZ_WORKER_ACCOUNT's is refused at the first request (500), never signs", async () => {
  const wrong = await start(Account.create().secret);
  try {
    const response = await fetch(new URL("/api/book-event-ticket", wrong.url), { method: "POST", body: await captureBody(route, { eventId: "jazz-night" }) });
    assert.equal(response.status, 500);
    assert.deepEqual(withoutReason(await response.json(), "ERR_INTERNAL"), { message: "Internal server error", code: 500 });
  } finally {
    await wrong.dispose();
  }
});

const run = promisify(execFile);
const ENV = { ...process.env, NO_COLOR: "1", WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true" };

test("the page's client.js, run as the page says (node client.js <the Worker's URL>, JAZZ_WORKER_ACCOUNT set), books a ticket", async () => {
  const fresh = await start(); // its own storage: jazz-night has its 3 seats
  try {
    const { stdout } = await run(process.execPath, ["client.js", fresh.url.href], {
      cwd: project,
      env: { ...ENV, JAZZ_WORKER_ACCOUNT: worker.id },
      timeout: 60_000,
    });
    assert.equal(stdout.trim(), 'booked {"ticketId":"jazz-night-1","seatsLeft":2}');
  } finally {
    await fresh.dispose();
  }
});

// ---- every code block of docs/*.md is run or checked ------------------------------------

/** Every fenced block of a Markdown text (indented ones in lists too): { info, body, line }. */
function codeBlocks(markdown) {
  const blocks = [];
  const fence = /^([ \t]*)```([^\n`]*)\n([\s\S]*?)^\1```[ \t]*$/gm;
  for (const match of markdown.matchAll(fence)) {
    const [, indent, info, body] = match;
    const line = markdown.slice(0, match.index).split("\n").length;
    blocks.push({ info: info.trim(), body: body.replace(new RegExp(`^${indent}`, "gm"), ""), line });
  }
  return blocks;
}

const wrangler = join(ROOT, "node_modules/.bin/wrangler");
const jazzrpcCli = join(ROOT, "js-glue/bin/jazzrpc.js");
// The wrangler command a shell line names exists in the pinned wrangler: its help is that command's.
const wranglerCommand = (...words) => async () => {
  const { stdout } = await run(wrangler, [...words, "--help"], { cwd: project, env: ENV, timeout: 60_000 });
  assert.match(stdout, new RegExp(`^wrangler ${words.join(" ")}\\b`), `wrangler ${words.join(" ")} is a command`);
};

/**
 * The commands of the docs' shell blocks (each line, its comment cut off), and how each is
 * checked: run, where it runs offline; else shown to be a command of the pinned tool.
 */
const SHELL_CHECKS = {
  // Its output, as the page's comment shows it: the three fields, with their prefixes.
  "npx jazzrpc keygen": async (comment) => {
    const { stdout } = await run(process.execPath, [jazzrpcCli, "keygen"], { env: ENV, timeout: 30_000 });
    const printed = JSON.parse(stdout);
    const shown = JSON.parse(comment.replaceAll("…", ""));
    assert.deepEqual(Object.keys(printed), Object.keys(shown));
    for (const [key, prefix] of Object.entries(shown)) assert.ok(printed[key].startsWith(prefix) && printed[key].length > prefix.length + 20, `${key}: ${printed[key]}`);
    assert.equal(printed.accountID, `co_z${printed.signerID.slice("signer_z".length)}`);
  },
  // These reach Cloudflare's API: shown to be commands of wrangler 4.86.0.
  "npx wrangler login": wranglerCommand("login"),
  "npx wrangler secret put JAZZ_WORKER_SECRET": wranglerCommand("secret", "put"),
};

const DOCS = readdirSync(join(ROOT, "docs"))
  .filter((f) => f.endsWith(".md"))
  .map((f) => `docs/${f}`);
// The blocks that name a file, run by this test (the page's program above): { page: [paths] }.
const RUN_HERE = { "docs/cloudflare.md": written };

test("every code block of docs/*.md is run by this test, or is a shell block whose every command is checked here", async (t) => {
  const unchecked = [];
  let checked = 0;
  for (const page of DOCS) {
    for (const { info, body, line } of codeBlocks(readFileSync(join(ROOT, page), "utf8"))) {
      const file = info.match(/(?:^|\s)file=(\S+)/)?.[1];
      if (file) {
        if (!(RUN_HERE[page] ?? []).includes(file)) unchecked.push(`${page}:${line}: file=${file} is run by no test`);
        continue;
      }
      if (!/^(sh|bash|shell)$/.test(info)) {
        unchecked.push(`${page}:${line}: a \`${info || "(no language)"}\` block that no test runs: name its file (file=…) or make it a shell block`);
        continue;
      }
      for (const text of body.split("\n")) {
        const [command, ...comment] = text.split(/\s+#\s*/);
        if (!command.trim()) continue;
        const check = SHELL_CHECKS[command.trim().replace(/\s+/g, " ")];
        if (!check) {
          unchecked.push(`${page}:${line}: \`${command.trim()}\` is checked by no test (SHELL_CHECKS)`);
          continue;
        }
        await check(comment.join(" # "));
        checked++;
        t.diagnostic(`${page}:${line}: ${command.trim()}: checked`);
      }
    }
  }
  assert.deepEqual(unchecked, []);
  assert.equal(checked, Object.keys(SHELL_CHECKS).length, "every entry of SHELL_CHECKS is a command of the docs");
});
