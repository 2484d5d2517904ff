// A private redis-server for a bench part (the tests' own starter), and the CPU time it
// and the machine have used, from /proc.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { startRedis } from "../../tests/node/api/redis-server.mjs";

/** The redis-server version, or null when it is not installed. */
export function redisServerVersion() {
  const r = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) return null;
  return r.stdout.match(/v=(\S+)/)?.[1] ?? r.stdout.trim();
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
    const [user, nice, system, , , irq = 0, softirq = 0, steal = 0] = ticks.map(Number); // idle and iowait are not busy
    return (user + nice + system + irq + softirq + steal) / CLK_TCK;
  } catch {
    return null;
  }
}

/** The tests' redis-server (tests/node/api/redis-server.mjs), with the CPU time it has used so far. */
export async function startRedisServer() {
  const server = await startRedis();
  return { ...server, cpuSeconds: () => cpuSecondsOf(server.pid) };
}
