// Several Node processes sharing one RedisReplayGuard: does our handle() scale with
// the processes? The claim tested: 2 Node processes on 2 cores handle at least 1.7×
// the requests/s of one, each with a RedisReplayGuard on one local redis-server.
//
//   node --expose-gc parts/handle-redis-procs.mjs [REQUESTS_PER_PROCESS] [REPS] [IN_FLIGHT] [MAX_PROCESSES]
//
// A private redis-server (no persistence) is started on a free port in a temporary
// folder and stopped at the end. MAX_PROCESSES (default 2) worker processes
// (bench/lib/redis-proc-worker.mjs) are started once, each pinned to its own core
// with taskset when it exists, all serving the same worker account through their
// own Redis connection. Per repetition and per process count (1, then 2;
// interleaved, the order alternating, the single process alternating between the
// workers): the Redis database is emptied, each active worker signs its own
// REQUESTS_PER_PROCESS bodies untimed (so no load generator competes for the cores
// measured), all wait for a common start time, then each runs
// route.handle(new Request(...)) in process on its bodies with IN_FLIGHT (16)
// outstanding. Aggregate requests/s = total requests / (last finish - common start).
// This process only coordinates (idle while they run). redis-server is not pinned:
// it shares the two cores with the workers, and its CPU time (from /proc) is reported,
// as is each worker's, and the busy time of the whole machine (/proc/stat) less
// ours: otherCores, the other jobs of a shared machine. perCpuSecond (requests per
// CPU-second of the workers) shows whether the processes slow each other down
// independently of how many cores other jobs left them.
//
// Before timing, the sharing itself is checked: a body handled by one process is
// replayed by the other (200, X-Jazz-Replayed, the same answer byte for byte), both
// ways, and one body sent to both at once runs the handler once.
//
// Prints { error } and exits 0 when redis-server is not installed.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { createClient } from "redis";
import { emit, log, median, QUICK, round } from "../lib/measure.mjs";
import { machineBusySeconds, redisServerVersion, startRedisServer } from "../lib/redis-server.mjs";

const requests = Number(process.argv[2] ?? (QUICK ? 2000 : 8000));
const reps = Number(process.argv[3] ?? (QUICK ? 3 : 5));
const inFlight = Number(process.argv[4] ?? 16);
const maxProcs = Number(process.argv[5] ?? 2);
const counts = [1, maxProcs];
const WARM = QUICK ? 1500 : 3000;
const started = Date.now();

const version = redisServerVersion();
if (!version) {
  emit({ error: "redis-server is not installed" });
  process.exit(0);
}

/** The CPUs this process may run on (Cpus_allowed_list), e.g. [0, 1]. */
function allowedCpus() {
  try {
    const list = readFileSync("/proc/self/status", "utf8").match(/^Cpus_allowed_list:\s*(\S+)/m)[1];
    return list.split(",").flatMap((part) => {
      const [a, b = a] = part.split("-").map(Number);
      return Array.from({ length: b - a + 1 }, (_, i) => a + i);
    });
  } catch {
    return null;
  }
}
const cpus = allowedCpus();
const taskset = spawnSync("taskset", ["--version"]).status === 0 && cpus?.length > 0;

const epochMs = () => performance.timeOrigin + performance.now();
const stats = (values) => ({ median: round(median(values)), min: round(Math.min(...values)), max: round(Math.max(...values)) });

// ---- the shared redis-server and the worker processes -------------------------------
const redis = await startRedisServer();
const admin = createClient({ url: redis.url });
await admin.connect();
const { glue } = await import("../lib/ours.mjs");
const workerSecret = glue.Account.create().secret;
const script = fileURLToPath(new URL("../lib/redis-proc-worker.mjs", import.meta.url));

/** A worker process and call(msg): its answer to msg (one message at a time). */
function startWorker(index) {
  const cpu = taskset ? cpus[index % cpus.length] : null;
  const node = [process.execPath, "--expose-gc", script];
  const child = spawn(taskset ? "taskset" : node[0], taskset ? ["-c", String(cpu), ...node] : node.slice(1), {
    env: { ...process.env, WORKER_SECRET: workerSecret, REDIS_URL: redis.url, WORKER_INDEX: String(index), IN_FLIGHT: String(inFlight) },
    stdio: ["ignore", 2, "inherit", "ipc"], // its stdout goes to our stderr: our stdout is the JSON line
  });
  let waiting = null;
  let failed = null;
  child.on("message", (msg) => {
    const w = waiting;
    waiting = null;
    if (!w) return;
    if (msg.type === "error") w.reject(new Error(`worker ${index}: ${msg.message}`));
    else if (msg.type !== w.type) w.reject(new Error(`worker ${index}: answered ${msg.type} to ${w.type}`));
    else w.resolve(msg);
  });
  child.once("exit", (code) => {
    failed = new Error(`worker ${index} exited (${code})`);
    waiting?.reject(failed);
  });
  const call = (msg) =>
    new Promise((resolve, reject) => {
      if (failed) return reject(failed);
      waiting = { type: msg.type, resolve, reject };
      child.send(msg);
    });
  const ready = new Promise((resolve, reject) => {
    waiting = { type: "ready", resolve, reject };
  });
  return { index, cpu, child, call, ready };
}

const workers = Array.from({ length: maxProcs }, (_, i) => startWorker(i));
let exitCode = 0;
try {
  for (const w of workers) w.pid = (await w.ready).pid;
  log(`redis-server ${version} on ${redis.port}; ${maxProcs} worker processes${taskset ? `, pinned to CPUs ${workers.map((w) => w.cpu).join(", ")}` : " (not pinned)"}`);

  // ---- the sharing is real: checked before timing -----------------------------------
  const sharing = { ok: true, checks: [] };
  const check = (name, ok, detail) => {
    sharing.checks.push({ name, ok, ...detail });
    if (!ok) sharing.ok = false;
  };
  const [A, B] = workers;
  if (B) {
    for (const [x, y] of [
      [A, B],
      [B, A],
    ]) {
      const first = await x.call({ type: "one" });
      const again = await y.call({ type: "one", body: first.body });
      check(
        `a body handled by process ${x.index} is replayed by process ${y.index}`,
        first.status === 200 && !first.replayed && again.status === 200 && again.replayed && again.text === first.text,
        { first: { status: first.status, replayed: first.replayed }, again: { status: again.status, replayed: again.replayed, sameAnswer: again.text === first.text } },
      );
    }
    for (let i = 0; i < 5; i++) {
      const { body } = await A.call({ type: "make" });
      const both = await Promise.all([A.call({ type: "one", body }), B.call({ type: "one", body })]);
      const fresh = both.filter((r) => r.status === 200 && !r.replayed);
      const other = both.find((r) => !(r.status === 200 && !r.replayed));
      // the other: its stored answer, byte for byte, or 409 while the first still ran
      const ok = fresh.length === 1 && ((other.status === 200 && other.replayed && other.text === fresh[0].text) || other.status === 409);
      if (!ok || i === 4) {
        check("one body sent to both processes at once runs the handler once (5 tries)", ok, {
          answers: both.map((r) => ({ status: r.status, replayed: r.replayed })),
        });
        if (!ok) break;
      }
    }
  }
  if (!sharing.ok) {
    log(`the sharing check failed: ${JSON.stringify(sharing.checks)}`);
    emit({ error: "the RedisReplayGuard sharing check failed", sharing });
    throw Object.assign(new Error("sharing check failed"), { emitted: true });
  }

  // ---- warm-up: every worker, at once, untimed --------------------------------------
  log(`warm-up: ${WARM} requests in each process`);
  for (const r of await Promise.all(workers.map((w) => w.call({ type: "warm", requests: WARM })))) {
    if (r.failures) throw new Error(`warm-up: ${r.failures} failures, first: ${r.firstFailure}`);
  }

  // ---- the repetitions: 1 process and maxProcs processes, interleaved -----------------
  const loadStart = loadavg();
  const samples = Object.fromEntries(counts.map((n) => [n, []]));
  for (let r = 0; r < reps; r++) {
    for (const n of r % 2 ? [...counts].reverse() : counts) {
      const active = n === 1 ? [workers[r % workers.length]] : workers.slice(0, n);
      await admin.flushDb();
      await Promise.all(active.map((w) => w.call({ type: "sign", requests })));
      const at = epochMs() + 200;
      const going = Promise.all(active.map((w) => w.call({ type: "go", at })));
      await new Promise((r) => setTimeout(r, Math.max(0, at - epochMs() - 20)));
      const redisCpu0 = redis.cpuSeconds();
      const busy0 = machineBusySeconds();
      const done = await going;
      const redisCpu = redis.cpuSeconds() - redisCpu0;
      const busy = machineBusySeconds() - busy0;
      const wallMs = Math.max(...done.map((d) => d.finishedAt)) - at;
      const total = done.reduce((t, d) => t + d.requests, 0);
      const sample = {
        rep: r,
        processes: active.map((w) => w.index),
        perSecond: round(total / (wallMs / 1000)),
        wallSeconds: round(wallMs / 1000),
        perProcess: done.map((d) => round(d.requests / ((d.finishedAt - d.startedAt) / 1000))),
        // each process's own rate, added up: above perSecond when one finished early
        // and idled while the other (on a busier core) still ran
        sumOfProcessRates: round(done.reduce((t, d) => t + d.requests / ((d.finishedAt - d.startedAt) / 1000), 0)),
        // CPU seconds per wall second: 1.0 is one core kept busy
        processCores: done.map((d) => round(d.cpuSeconds / (wallMs / 1000), 3)),
        // requests per CPU-second of our processes: flat from 1 to 2 processes when
        // nothing but the cores limits them (steady even when other jobs take CPU)
        perCpuSecond: round(total / done.reduce((t, d) => t + d.cpuSeconds, 0)),
        redisCores: redisCpu === null || Number.isNaN(redisCpu) ? null : round(redisCpu / (wallMs / 1000), 3),
        // the whole machine's busy cores over the run, and what is left once ours are
        // taken out: the other jobs of a shared machine (and this coordinating process)
        machineCores: busy0 === null ? null : round(busy / (wallMs / 1000), 3),
        otherCores: busy0 === null || redisCpu === null ? null : round((busy - redisCpu - done.reduce((t, d) => t + d.cpuSeconds, 0)) / (wallMs / 1000), 3),
        lateMs: round(Math.max(...done.map((d) => d.lateMs)), 3),
        failures: done.reduce((t, d) => t + d.failures, 0),
        replayed: done.reduce((t, d) => t + d.replayed, 0),
        firstFailure: done.find((d) => d.firstFailure)?.firstFailure ?? null,
      };
      samples[n].push(sample);
      log(
        `rep ${r + 1}/${reps}, ${n} process${n > 1 ? "es" : ""}: ${sample.perSecond} req/s (per process ${sample.perProcess.join(", ")}; ${sample.perCpuSecond} per CPU-second; cores: ours ${sample.processCores.join(", ")}, redis ${sample.redisCores}, other jobs ${sample.otherCores})`,
      );
    }
  }

  const summary = (list) => ({
    perSecond: round(median(list.map((s) => s.perSecond))),
    samples: list.map((s) => s.perSecond),
    perProcessPerSecond: stats(list.flatMap((s) => s.perProcess)),
    sumOfProcessRates: round(median(list.map((s) => s.sumOfProcessRates))),
    processCores: stats(list.flatMap((s) => s.processCores)),
    perCpuSecond: stats(list.map((s) => s.perCpuSecond)),
    redisCores: list.every((s) => s.redisCores !== null) ? stats(list.map((s) => s.redisCores)) : null,
    otherCores: list.every((s) => s.otherCores !== null) ? stats(list.map((s) => s.otherCores)) : null,
    wallSeconds: stats(list.map((s) => s.wallSeconds)),
    failures: list.reduce((t, s) => t + s.failures, 0),
    replayed: list.reduce((t, s) => t + s.replayed, 0),
    firstFailure: list.find((s) => s.firstFailure)?.firstFailure ?? null,
    runs: list,
  });
  const procs = Object.fromEntries(counts.map((n) => [n, summary(samples[n])]));
  const one = procs[1];
  const many = procs[maxProcs];
  emit({
    claim: `${maxProcs} processes on ${maxProcs} cores handle at least 1.7x the requests/s of one (RedisReplayGuard, one local redis-server)`,
    requestsPerProcess: requests,
    reps,
    inFlight,
    warmUpPerProcess: WARM,
    redis: { version, pinned: false },
    pinned: taskset,
    pinning: taskset ? workers.map((w) => `taskset -c ${w.cpu}`) : null,
    cpusAllowed: cpus,
    loadavg: { start: loadStart.map((v) => round(v, 3)), end: loadavg().map((v) => round(v, 3)) },
    sharing,
    procs,
    ratio: round(many.perSecond / one.perSecond),
    // the ratio within each repetition (1 and maxProcs run back to back), then their median
    ratioPaired: round(median(samples[maxProcs].map((s, i) => s.perSecond / samples[1][i].perSecond))),
    // requests per CPU-second, maxProcs processes over one: below 1, the processes
    // slow each other down (redis, memory bandwidth); about 1, only the cores limit them
    perCpuSecondRatio: round(many.perCpuSecond.median / one.perCpuSecond.median),
    // other jobs took more than a quarter of a core in a run of maxProcs processes: the
    // cores were not all ours, and ratio understates the scaling (see otherCores)
    contended: many.runs.some((s) => s.otherCores !== null && s.otherCores > 0.25),
    seconds: round((Date.now() - started) / 1000),
  });
} catch (error) {
  if (!error.emitted) {
    log(String(error?.stack ?? error));
    exitCode = 1;
  }
} finally {
  for (const w of workers) {
    if (w.child.exitCode === null) {
      const gone = new Promise((resolve) => w.child.once("exit", resolve));
      try {
        w.child.send({ type: "quit" });
      } catch {
        w.child.kill("SIGTERM");
      }
      await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
      if (w.child.exitCode === null) w.child.kill("SIGKILL");
    }
  }
  await admin.quit().catch(() => {});
  await redis.stop();
}
process.exit(exitCode);
