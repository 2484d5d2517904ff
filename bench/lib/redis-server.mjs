// A private redis-server for a bench part: Debian's redis-server on 127.0.0.1 and a
// free port, in a temporary folder, no persistence; stopped (and the folder removed)
// by stop(). Also the CPU time the server has used so far, from /proc.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The redis-server version, or null when it is not installed. */
export function redisServerVersion() {
  const r = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return null;
  return r.stdout.match(/v=(\S+)/)?.[1] ?? r.stdout.trim();
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port, deadline, exited) {
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, "127.0.0.1", () => (socket.end(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (ok) return;
    if (exited()) throw new Error("redis-server exited before it listened");
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const CLK_TCK = (() => {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  return Number(r.stdout?.trim()) || 100;
})();

/** User + system CPU seconds of a process so far (Linux /proc), or null. */
export function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // the fields after "(comm)": state is field 3, utime 14, stime 15
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** CPU seconds the whole machine has spent busy so far, all cores (/proc/stat), or null. */
export function machineBusySeconds() {
  try {
    const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
    const [user, nice, system, idle, iowait = 0, irq = 0, softirq = 0, steal = 0] = ticks.map(Number);
    void idle, iowait;
    return (user + nice + system + irq + softirq + steal) / CLK_TCK;
  } catch {
    return null;
  }
}

/** @returns {Promise<{ port: number, url: string, pid: number, cpuSeconds: () => number|null, stop: () => Promise<void> }>} */
export async function startRedisServer() {
  const dir = mkdtempSync(join(tmpdir(), "jazzrpc-bench-redis-"));
  const port = await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--protected-mode", "yes"],
    { cwd: dir, stdio: ["ignore", "ignore", "inherit"] },
  );
  let gone = false;
  const exited = new Promise((resolve) => child.once("exit", () => ((gone = true), resolve())));
  child.once("error", () => (gone = true));
  try {
    await waitForPort(port, Date.now() + 10_000, () => gone);
  } catch (error) {
    if (!gone) child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid,
    cpuSeconds: () => cpuSecondsOf(child.pid),
    stop: async () => {
      if (!gone) {
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
