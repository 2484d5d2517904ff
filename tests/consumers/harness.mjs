// The consumer tests' harness: each consumer is a fresh project in a temp dir outside the
// repository (os.tmpdir()), which installs the packed tarball (build/pack, `make pack`)
// and pinned versions of everything else from the npm registry, as a new user would.
// Not a test file: the runner only picks up *.test.mjs.
import { spawn, spawnSync } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fileBlocks } from "../docs/blocks.mjs";

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, "../..");
export const PACK_DIR = join(ROOT, "build/pack");
export const README = join(ROOT, "README.md");

/**
 * The README's runnable blocks (```js file=NAME) each consumer writes into its project,
 * as { README name: path in the project }: the code a consumer runs is the README's, as
 * written. readme.test.mjs checks that every such block is run by some consumer.
 */
export const README_FILES = {
  "node-esm": { "bookEventTicket.js": "bookEventTicket.js", "events.js": "events.js", "server.js": "server.js", "client.js": "client.js" },
  deno: { "bookEventTicket.js": "bookEventTicket.js", "events.js": "events.js", "client.js": "client.js", "deno/server.js": "server.js" },
  worker: { "bookEventTicket.js": "src/bookEventTicket.js", "events.js": "src/events.js", "worker/src/worker.js": "src/worker.js", "worker/wrangler.jsonc": "wrangler.jsonc" },
  hono: { "bookEventTicket.js": "bookEventTicket.js", "events.js": "events.js", "client.js": "client.js", "hono/server.js": "server.js" },
  next: { "bookEventTicket.js": "bookEventTicket.js", "events.js": "events.js", "client.js": "client.js", "next/app/api/book/route.js": "app/api/book/route.js" },
  vite: { "bookEventTicket.js": "src/bookEventTicket.js", "events.js": "events.js", "browser/main.js": "src/main.js" },
  bun: { "bookEventTicket.js": "bookEventTicket.js", "events.js": "events.js", "server.js": "server.js", "client.js": "client.js", "bun/server.js": "bun/server.js" },
  postgres: { "bookEventTicket.js": "bookEventTicket.js", "client.js": "client.js", "postgres/server.js": "server.js" },
};

/** Every dependency of a consumer, pinned exactly (jazzrpc itself is the tarball). */
export const PINNED = {
  zod: "4.6.7",
  valibot: "1.5.0",
  typescript: "5.9.3",
  "@types/node": "20.19.43",
  hono: "4.13.19",
  "@hono/node-server": "2.1.9",
  "@electric-sql/pglite": "0.3.14",
  next: "16.4.6",
  react: "19.3.1",
  "react-dom": "19.3.1",
  vite: "8.4.0",
  // the last releases that run on Node 20 (DESIGN.md section 5)
  wrangler: "4.86.0",
  miniflare: "4.20260426.0",
  deno: "2.9.6",
};

/** The same settings every consumer runs with: offline and quiet (DESIGN.md section 5). */
export const OFFLINE_ENV = {
  NO_COLOR: "1",
  NEXT_TELEMETRY_DISABLED: "1",
  DO_NOT_TRACK: "1",
  DENO_NO_UPDATE_CHECK: "1",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  npm_config_update_notifier: "false",
};

// What a fresh shell of a new user has: none of the repository's NODE_PATH
// (the Makefile exports /usr/share/nodejs for emscripten) or the test runner's variables.
function baseEnv() {
  const env = { ...process.env, ...OFFLINE_ENV };
  for (const name of ["NODE_PATH", "NODE_OPTIONS", "NODE_TEST_CONTEXT", "JAZZ_WORKER_ACCOUNT", "JAZZ_WORKER_SECRET"]) delete env[name];
  return env;
}

const KEEP = process.env.JAZZRPC_KEEP_CONSUMERS === "1";
const NPM_FLAGS = ["--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", "--save-exact"];
// A cache of its own when JAZZRPC_NPM_CACHE is set (e.g. an empty one to time a cold run);
// else npm's own cache, which every consumer and the repository share.
if (process.env.JAZZRPC_NPM_CACHE) NPM_FLAGS.push(`--cache=${process.env.JAZZRPC_NPM_CACHE}`);

let tarballPath;
/** The packed tarball: $JAZZRPC_TARBALL, else build/pack/jazzrpc-*.tgz (made by `make pack` when absent). */
export async function tarball() {
  if (tarballPath) return tarballPath;
  if (process.env.JAZZRPC_TARBALL) return (tarballPath = resolve(process.env.JAZZRPC_TARBALL));
  const find = async () => (await readdir(PACK_DIR).catch(() => [])).filter((f) => /^jazzrpc-.*\.tgz$/.test(f));
  let found = await find();
  if (found.length === 0) {
    const made = spawnSync("make", ["pack"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    if (made.status !== 0) throw new Error(`make pack failed:\n${made.stdout}\n${made.stderr}`);
    found = await find();
  }
  if (found.length !== 1) throw new Error(`expected one jazzrpc tarball in ${PACK_DIR}, found ${found.length}: run make pack`);
  return (tarballPath = join(PACK_DIR, found[0]));
}

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
const tail = (text, n = 6000) => (text.length > n ? `…${text.slice(-n)}` : text);

/**
 * Runs a command to its end. Rejects when it exits non-zero (unless allowFailure) or
 * outlives `timeout` ms, with its output in the message.
 * @returns {Promise<{ code: number | null, signal: string | null, stdout: string, stderr: string, output: string, ms: number }>}
 */
export function run(command, args, { cwd, env = {}, timeout = 120_000, allowFailure = false, input } = {}) {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env: { ...baseEnv(), ...env }, detached: true, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let output = "";
    let timedOut = false;
    child.stdout.on("data", (d) => ((stdout += d), (output += d)));
    child.stderr.on("data", (d) => ((stderr += d), (output += d)));
    if (input !== undefined) child.stdin.end(input);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, "SIGKILL");
    }, timeout);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const result = { code, signal, stdout, stderr, output, ms: Date.now() - started };
      const line = [command, ...args].join(" ");
      if (timedOut) reject(new Error(`timed out after ${seconds(timeout)}: ${line}\n${tail(output)}`));
      else if (code !== 0 && !allowFailure) reject(Object.assign(new Error(`exit ${code ?? signal}: ${line}\n${tail(output)}`), { result }));
      else resolvePromise(result);
    });
  });
}

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Starts a long-running command (a server) and waits until its output matches `ready`
 * (a RegExp), or until 127.0.0.1:`ready` accepts connections (a port number).
 * @returns {Promise<{ match: RegExpMatchArray, output: () => string, stop: () => Promise<void> }>}
 */
export function start(command, args, { cwd, env = {}, ready, timeout = 60_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env: { ...baseEnv(), ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    let settled = false;
    let exited = false;
    const exit = new Promise((r) => child.on("close", () => ((exited = true), r())));
    const stop = async () => {
      if (exited) return;
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => killGroup(child, "SIGKILL"), 3000);
      await exit;
      clearTimeout(timer);
    };
    const fail = (message) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stop().then(() => reject(new Error(`${message}: ${[command, ...args].join(" ")}\n${tail(output)}`)));
    };
    const timer = setTimeout(() => fail(`not ready after ${seconds(timeout)}`), timeout);
    const succeed = (match) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolvePromise({ match, output: () => output, stop });
    };
    const onData = (d) => {
      output += d;
      const match = typeof ready !== "number" && output.match(ready);
      if (match) succeed(match);
    };
    // A server that prints nothing: ready once its port accepts a connection.
    if (typeof ready === "number") {
      const poll = () => {
        if (settled) return;
        const socket = connect(ready, "127.0.0.1");
        socket.on("connect", () => (socket.destroy(), succeed([`127.0.0.1:${ready} accepts connections`])));
        socket.on("error", () => setTimeout(poll, 100));
      };
      poll();
    }
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (error) => fail(String(error)));
    child.on("close", (code, signal) => fail(`exited (${code ?? signal}) before it was ready`));
  });
}

/** A TCP port free on 127.0.0.1 right now (for servers that cannot listen on port 0). */
export function freePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePromise(port));
    });
  });
}

/**
 * A fresh project in a temp dir: package.json, the README's blocks of README_FILES[name],
 * the files of the given folders of tests/consumers (copied as they are), then one
 * `npm install` of the tarball and the pinned `dependencies`. Removed after the test unless JAZZRPC_KEEP_CONSUMERS=1.
 * Every command run through it is reported with t.diagnostic.
 * @param {import("node:test").TestContext} t
 * @param {string} name
 * @param {{ folders?: string[], dependencies?: string[], type?: "module" | "commonjs", packageJson?: object }} [options]
 */
export async function createProject(t, name, { folders = [], dependencies = [], type = "module", packageJson = {} } = {}) {
  const dir = await mkdtemp(join(tmpdir(), `jazzrpc-consumer-${name}-`));
  const servers = [];
  t.after(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    if (KEEP) t.diagnostic(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  });
  const log = (line) => t.diagnostic(`${name}: ${line}`);
  log(`fresh project in ${dir}`);
  await writeFile(join(dir, "package.json"), `${JSON.stringify({ name: `jazzrpc-consumer-${name}`, private: true, type, ...packageJson }, null, 2)}\n`);
  const readme = README_FILES[name] ?? {};
  if (Object.keys(readme).length > 0) {
    const blocks = fileBlocks(README);
    for (const [block, target] of Object.entries(readme)) {
      if (!(block in blocks)) throw new Error(`README.md has no block file=${block} (tests/consumers/harness.mjs README_FILES.${name})`);
      await mkdir(dirname(join(dir, target)), { recursive: true });
      await writeFile(join(dir, target), blocks[block]);
    }
    log(`README.md blocks: ${Object.entries(readme).map(([block, target]) => (block === target ? block : `${block} as ${target}`)).join(", ")}`);
  }
  for (const folder of folders) await cp(join(HERE, folder), dir, { recursive: true });

  const project = {
    dir,
    log,
    /** Runs a command in the project; reports it and how long it took. */
    async run(command, args = [], options = {}) {
      const shown = [displayed(command, dir), ...args].join(" ");
      try {
        const result = await run(command, args, { cwd: dir, ...options });
        log(`$ ${shown} -> exit ${result.code} (${seconds(result.ms)})`);
        return result;
      } catch (error) {
        log(`$ ${shown} -> FAILED`);
        throw error;
      }
    },
    /** A binary of the project's node_modules/.bin. */
    bin: (tool) => join(dir, "node_modules/.bin", tool),
    /** Starts a server in the project and waits for `ready`. */
    async start(command, args = [], options = {}) {
      const shown = [displayed(command, dir), ...args].join(" ");
      const started = Date.now();
      const server = await start(command, args, { cwd: dir, ...options });
      log(`$ ${shown} & -> ready (${seconds(Date.now() - started)}): ${server.match[0]}`);
      servers.push(server);
      return server;
    },
    /** Runs a Node program in the project and returns its stdout. */
    node: async (args, options) => (await project.run(process.execPath, args, options)).stdout,
  };

  const specs = [await tarball(), ...dependencies.map((dep) => (dep.includes("@", 1) ? dep : `${dep}@${PINNED[dep] ?? fail(dep)}`))];
  await project.run("npm", ["install", ...NPM_FLAGS, ...specs], { timeout: 600_000 });
  return project;
}

function fail(dep) {
  throw new Error(`no pinned version for ${dep}: add it to PINNED in tests/consumers/harness.mjs`);
}

/** A worker account made with the installed package: { id, secret }. */
export async function makeWorkerAccount(project) {
  const stdout = await project.node([
    "--input-type=module",
    "-e",
    'import { Account } from "jazzrpc/node"; const a = Account.create(); console.log(JSON.stringify({ id: a.id, secret: a.secret }));',
  ]);
  return JSON.parse(stdout.trim().split("\n").at(-1));
}

/** The lines `<tag> <json>` a consumer's program printed, as { tag: value }. */
export function taggedLines(stdout) {
  const found = {};
  for (const line of stdout.split("\n")) {
    const match = line.match(/^(\w+) (\{.*\})$/);
    if (match) found[match[1]] = JSON.parse(match[2]);
  }
  return found;
}

const displayed = (command, dir) => (command === process.execPath ? "node" : command.startsWith(dir) ? command.slice(dir.length + 1) : command);
