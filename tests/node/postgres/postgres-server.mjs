// Starts Debian's PostgreSQL for a test: initdb into a temporary folder and postgres on
// 127.0.0.1 and a free port, trust authentication for local connections, both run as
// the postgres user when we are root (initdb and postgres refuse root). stop() shuts
// it down (fast) and removes the folder; a process that exits without stop() still
// shuts it down. Nothing is skipped: a missing PostgreSQL is an error that says so.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "../api/redis-server.mjs";

const ROOT = "/usr/lib/postgresql";

function binDir() {
  const candidates = existsSync(ROOT)
    ? readdirSync(ROOT)
        .filter((v) => /^\d+$/.test(v) && existsSync(join(ROOT, v, "bin", "postgres")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (candidates.length === 0) {
    throw new Error(`PostgreSQL server binaries not found in ${ROOT}/<version>/bin (install Debian's postgresql: scripts/setup.sh)`);
  }
  return join(ROOT, candidates[0], "bin");
}

const isRoot = process.getuid?.() === 0;

/** [command, args] that run bin as the postgres user when we are root. */
function asPostgres(bin, args) {
  return isRoot ? ["runuser", ["-u", "postgres", "--", bin, ...args]] : [bin, args];
}

function run(bin, args, what) {
  const [command, argv] = asPostgres(bin, args);
  const result = spawnSync(command, argv, { encoding: "utf8", timeout: 120_000 });
  if (result.status !== 0) {
    throw new Error(`${what} failed (${result.error?.message ?? `exit ${result.status}`}): ${result.stderr || result.stdout}`);
  }
}

/**
 * @returns {Promise<{ host: string, port: number, user: string, database: string,
 *   connectionString: string, pid: number, stop: () => Promise<void> }>}
 */
export async function startPostgres() {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), "jazzrpc-pg-"));
  const data = join(dir, "data");
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  if (isRoot) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }));
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }));
    chownSync(dir, uid, gid);
  }
  try {
    run(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C"], "initdb");
  } catch (error) {
    removeDir();
    throw error;
  }

  const port = await freePort();
  const [command, argv] = asPostgres(join(bin, "postgres"), [
    "-D",
    data,
    "-p",
    String(port),
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    `unix_socket_directories=${dir}`,
    "-c",
    "max_connections=100",
  ]);
  const child = spawn(command, argv, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr.on("data", (chunk) => {
    if (log.length < 20_000) log += chunk;
  });
  let gone = false;
  const exited = new Promise((resolve) => child.once("exit", () => ((gone = true), resolve())));
  child.once("error", () => (gone = true));

  const shutdown = (mode) => {
    const [c, a] = asPostgres(join(bin, "pg_ctl"), ["-D", data, "stop", "-m", mode, "-w", "-t", "30"]);
    return spawnSync(c, a, { encoding: "utf8", timeout: 40_000 });
  };
  const onExit = () => {
    if (!gone) shutdown("immediate");
    removeDir();
  };
  // Stopped by a signal (a runner's timeout), the test process still shuts the server
  // down and removes its folder, then dies of the same signal.
  const onSignal = (signal) => {
    forget();
    onExit();
    process.kill(process.pid, signal);
  };
  const forget = () => {
    process.removeListener("exit", onExit);
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
  };
  process.once("exit", onExit);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const config = { host: "127.0.0.1", port, user: "postgres", database: "postgres" };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ ...config, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => {});
      if (gone || Date.now() > deadline) {
        forget();
        if (!gone) shutdown("immediate");
        removeDir();
        throw new Error(`postgres did not accept connections on 127.0.0.1:${port} (${error.message}): ${log}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  let stopped = null;
  return {
    ...config,
    connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
    pid: child.pid,
    stop: () =>
      (stopped ??= (async () => {
        forget();
        if (!gone) {
          shutdown("fast");
          let timer;
          const late = new Promise((resolve) => (timer = setTimeout(resolve, 10_000)));
          await Promise.race([exited, late]);
          clearTimeout(timer);
          if (!gone) {
            shutdown("immediate");
            child.kill("SIGKILL");
          }
        }
        removeDir();
      })()),
  };
}
