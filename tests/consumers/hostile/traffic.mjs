// The hostile suite's traffic: raw HTTP/1.1 over node:net to 127.0.0.1, so that what is
// sent (a declared length or none, a body cut off, a byte at a time) is exactly what a
// hostile client sends, and what comes back (a status, or a connection closed without
// one) is seen as it is. Bounded: every exchange ends at its answer, at the server's
// close, or after `limitMs`. Not a test file.
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { connect } from "node:net";

export const MiB = 1 << 20;
const CHUNK = 64 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * One exchange: the request head, then `body(write, state)` writing the body (it stops
 * when state.done is set: the answer came or the socket closed). Resolves to
 * { status } (the answer's status line was read), { closed: code } (the server closed
 * or reset the connection before any answer), { aborted: true } (the body writer
 * destroyed the socket itself, as a client that goes away) or { timedOut: true }.
 */
export function exchange(port, { method = "POST", path = "/api/book", headers = {}, body, limitMs = 20_000 }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const state = { done: false, aborted: false };
    const socket = connect(port, "127.0.0.1");
    let received = "";
    const finish = (outcome) => {
      if (state.done) return;
      state.done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...outcome, ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish({ timedOut: true }), limitMs);
    socket.setNoDelay(true);
    socket.on("data", (data) => {
      received += data.toString("latin1");
      const match = received.match(/^HTTP\/1\.[01] (\d{3})/);
      if (match) finish({ status: Number(match[1]) });
      else if (received.length > 64 && !received.startsWith("HTTP/")) finish({ closed: `not HTTP: ${JSON.stringify(received.slice(0, 40))}` });
    });
    socket.on("error", (error) => finish(state.aborted ? { aborted: true } : { closed: error.code ?? String(error) }));
    socket.on("close", () => finish(state.aborted ? { aborted: true } : { closed: "closed" }));
    socket.on("connect", async () => {
      const lines = [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, "Connection: close"];
      for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
      const write = (bytes) =>
        state.done || socket.destroyed
          ? Promise.resolve()
          : new Promise((r) => {
              if (socket.write(bytes)) r();
              else {
                const go = () => (socket.off("drain", go), socket.off("close", go), r());
                socket.on("drain", go);
                socket.on("close", go);
              }
            });
      const abort = () => {
        state.aborted = true;
        socket.destroy();
      };
      try {
        if (body) await body(write, state, abort);
      } catch {
        // the socket went away under the writer: its close says what happened
      }
    });
  });
}

/**
 * The request, as a user's code sends it: Node's fetch() POSTing `"x".repeat(size)`.
 * Resolves to { status } or { closed: the cause's code } (fetch failed: the connection closed).
 */
export async function fetchExchange(port, size, limitMs = 20_000) {
  const started = Date.now();
  try {
    const response = await fetch(`http://127.0.0.1:${port}/api/book`, { method: "POST", body: "x".repeat(size), signal: AbortSignal.timeout(limitMs) });
    await response.arrayBuffer().catch(() => {});
    return { status: response.status, ms: Date.now() - started };
  } catch (error) {
    if (error.name === "TimeoutError") return { timedOut: true, ms: Date.now() - started };
    return { closed: error.cause?.code ?? error.cause?.message ?? error.message, ms: Date.now() - started };
  }
}

// Body writers
const fill = (n) => Buffer.alloc(n, 0x78); // "xxxx…", as `"x".repeat(n)`

/** `total` bytes in 64 KiB writes (with a declared Content-Length, or chunked). */
function bytes(total, { chunked = false, stopAfter = total, thenAbort = false } = {}) {
  return async (write, state, abort) => {
    for (let sent = 0; sent < stopAfter && !state.done; sent += CHUNK) {
      const n = Math.min(CHUNK, stopAfter - sent);
      await write(chunked ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), fill(n), Buffer.from("\r\n")]) : fill(n));
    }
    if (thenAbort) {
      await sleep(50);
      abort();
    } else if (chunked) await write(Buffer.from("0\r\n\r\n"));
  };
}

/** One byte every `everyMs` of a declared `total`, until the answer (or the exchange's limit). */
const slowly = (total, everyMs) => async (write, state) => {
  for (let i = 0; i < total && !state.done; i++) {
    await write(Buffer.from("x"));
    await sleep(everyMs);
  }
};

const literal = (buffer) => async (write) => write(buffer);

const declared = (n) => ({ "Content-Type": "application/json", "Content-Length": String(n) });
const CHUNKED = { "Content-Type": "application/json", "Transfer-Encoding": "chunked" };

const garbageBody = (buffer) => ({ headers: declared(buffer.length), body: literal(buffer) });
const PADDING = Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`X-Pad-${i}`, "p".repeat(240)])); // ~12 KiB of headers, under Node's 16 KiB

/**
 * The kinds of hostile request, each with what may answer it: `statuses` (any other status
 * fails), and whether a connection closed with no answer is acceptable (`closeOk`).
 * Wrong methods: 405 from handle(), or 404 where the framework routes POST only (Hono's
 * app.post) — either way not the route's handler and not a 5xx.
 */
export const KINDS = {
  "oversize 2 MiB, Content-Length": { statuses: [413], closeOk: true, make: () => ({ headers: declared(2 * MiB), body: bytes(2 * MiB) }) },
  "oversize 8 MiB, Content-Length": { statuses: [413], closeOk: true, make: () => ({ headers: declared(8 * MiB), body: bytes(8 * MiB) }) },
  // The same headers with the body held back: the answer to a declared length alone,
  // which no reset of unread data can destroy on its way to the client.
  "oversize 8 MiB, Content-Length, body held back": { statuses: [413], closeOk: true, limitMs: 15_000, make: () => ({ headers: declared(8 * MiB) }) },
  "oversize 2 MiB, chunked": { statuses: [413], closeOk: true, make: () => ({ headers: CHUNKED, body: bytes(2 * MiB, { chunked: true }) }) },
  "oversize 8 MiB, chunked": { statuses: [413], closeOk: true, make: () => ({ headers: CHUNKED, body: bytes(8 * MiB, { chunked: true }) }) },
  "oversize 2 MiB, fetch()": { statuses: [413], closeOk: true, fetch: 2 * MiB },
  "aborted after half of 512 KiB, Content-Length": {
    statuses: [],
    abortOk: true,
    make: () => ({ headers: declared(512 * 1024), body: bytes(512 * 1024, { stopAfter: 256 * 1024, thenAbort: true }) }),
  },
  "aborted after half of 512 KiB, chunked": {
    statuses: [],
    abortOk: true,
    make: () => ({ headers: CHUNKED, body: bytes(512 * 1024, { chunked: true, stopAfter: 256 * 1024, thenAbort: true }) }),
  },
  "slow body, a byte every 50 ms": { statuses: [408], closeOk: true, limitMs: 15_000, make: () => ({ headers: declared(1000), body: slowly(1000, 50) }) },
  "not JSON": { statuses: [400], make: () => garbageBody(Buffer.from("hello{ this is not json")) },
  "binary, 4 KiB": { statuses: [400], make: () => garbageBody(randomBytes(4096)) },
  "empty body": { statuses: [400], make: () => garbageBody(Buffer.alloc(0)) },
  "JSON, not a signed request": { statuses: [400], make: () => garbageBody(Buffer.from('{"type":"request","payload":{"eventId":"x"}}')) },
  "wrong method GET": { statuses: [405, 404], make: () => ({ method: "GET" }) },
  "wrong method PUT": { statuses: [405, 404], make: () => ({ method: "PUT", ...garbageBody(Buffer.from("{}")) }) },
  "12 KiB of headers, garbage body": {
    statuses: [400, 431],
    make: () => ({ ...garbageBody(Buffer.from("not json")), headers: { ...PADDING, ...declared(8) } }),
  },
};

// 50 at once: oversize (declared and chunked) and garbage, interleaved.
const MANY = ["oversize 2 MiB, Content-Length", "not JSON", "oversize 2 MiB, chunked", "binary, 4 KiB", "empty body"];
export const MANY_AT_ONCE = 50;

/**
 * One round of every kind, one after the other, then MANY_AT_ONCE at once, with
 * `alongside()` (a valid request) started in the middle of them.
 * @returns {Promise<Array<{ kind: string, outcome: object, ok: boolean }>>}
 */
export async function hostileRound(port, alongside = async () => {}) {
  const results = [];
  const judge = (kind, outcome) => {
    const rule = KINDS[kind];
    const ok =
      (outcome.status !== undefined && rule.statuses.includes(outcome.status)) ||
      (outcome.closed !== undefined && Boolean(rule.closeOk) && !/ECONNREFUSED/.test(outcome.closed)) ||
      (outcome.aborted === true && Boolean(rule.abortOk));
    return { kind, outcome, ok };
  };
  for (const [kind, rule] of Object.entries(KINDS)) {
    const outcome = rule.fetch ? await fetchExchange(port, rule.fetch, rule.limitMs) : await exchange(port, { limitMs: rule.limitMs, ...rule.make() });
    results.push(judge(kind, outcome));
  }
  const burst = Array.from({ length: MANY_AT_ONCE }, (_, i) => {
    const kind = MANY[i % MANY.length];
    return exchange(port, { limitMs: 30_000, ...KINDS[kind].make() }).then((outcome) => judge(kind, outcome));
  });
  const [many] = await Promise.all([Promise.all(burst), alongside()]);
  for (const result of many) results.push({ ...result, kind: `${MANY_AT_ONCE} at once: ${result.kind}` });
  return results;
}

/** "413 ×10, closed ×2" for a list of outcomes. */
export function tally(results) {
  const counts = new Map();
  for (const { outcome } of results) {
    const key = outcome.status ?? (outcome.aborted ? "aborted by the client" : outcome.timedOut ? "no answer (timed out)" : `closed (${outcome.closed})`);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (results.length === 1) return `${[...counts.keys()][0]} (after ${results[0].outcome.ms} ms)`;
  return [...counts].map(([key, n]) => (n > 1 ? `${key} ×${n}` : String(key))).join(", ");
}

/** The pid of the process listening on 127.0.0.1:port (from /proc/net/tcp and /proc/<pid>/fd). */
export function listenerPid(port) {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9 && fields[1].endsWith(`:${hexPort}`) && fields[3] === "0A") inodes.add(`socket:[${fields[9]}]`);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    let fds;
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return Number(pid);
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

/** { rssKiB, name } of a live process, or undefined when it is gone. */
export function processStatus(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const state = status.match(/^State:\s+(\S)/m)?.[1];
    if (state === "Z" || state === "X") return undefined;
    return { rssKiB: Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1] ?? NaN), name: status.match(/^Name:\s+(.*)$/m)?.[1] };
  } catch {
    return undefined;
  }
}
