// Two Deno.serve servers whose clocks are 5 s apart share one Deno KV file (each its own
// handle, as two processes would): a body sent to both, at every moment of its window
// as either server sees it, runs its handler once. The clocks are the routes' (and
// guards') `now` options, moved by the test: the 13 s the window spans across both
// clocks pass in about two seconds of real time. Local KV deletes expired entries when
// a handle opens (then once a minute): a handle opened at each step, as a process
// starting would, makes the file drop them as promptly as a hosted KV would.
import { z } from "zod";
import * as lib from "../../js-glue/src/entries/deno.js";

const WINDOW = 8_000;

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

function startServer(worker, kv, now, runs) {
  const route = lib.defineRequest({
    url: "/api/book",
    workerId: worker.id,
    request: { eventId: z.string() },
    response: { ticketId: z.string() },
    options: { now, window: WINDOW, answerTtlMs: 0 }, // answers not kept past the window: a late body is refused, as the test checks
  });
  const guard = new lib.DenoKvReplayGuard({ kv, now, prefix: ["skew"] });
  const errors = [];
  const handler = ({ eventId }) => {
    runs.set(eventId, (runs.get(eventId) ?? 0) + 1);
    return { ticketId: `${eventId}-${runs.get(eventId)}` };
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) =>
    route.handle(request, worker, handler, { replayGuard: guard, onError: (e) => errors.push(e) }),
  );
  return { route, errors, url: `http://127.0.0.1:${server.addr.port}/api/book`, close: () => server.shutdown() };
}

async function capture(route, eventId) {
  let body;
  await route.send({ eventId }, { owner: lib.Account.create(), retry: false, fetch: (_u, init) => ((body = init.body), Promise.reject(new Error("captured"))) }).catch(() => {});
  assert(body, "send() produced a body");
  return body;
}

const send = (url, body) =>
  fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body }).then(async (r) => ({ status: r.status, text: await r.text() }));

Deno.test("DenoKvReplayGuard: two servers 5 s apart, one KV: a body sent to both over its whole window runs once, and so does one first sent in the last moment of the earlier clock's window", async () => {
  const path = await Deno.makeTempFile({ suffix: ".kv" });
  const [kvA, kvB] = [await Deno.openKv(path), await Deno.openKv(path)];
  const worker = lib.Account.create();
  const base = Date.now();
  let elapsed = 0;
  const runs = new Map();
  const a = startServer(worker, kvA, () => base + elapsed, runs);
  const b = startServer(worker, kvB, () => base + elapsed - 5_000, runs); // 5 s behind
  try {
    const whole = await capture(a.route, "whole");
    const late = await capture(a.route, "late");
    const answers = { whole: new Set(), late: new Set() };
    const statuses = [];
    for (elapsed = 0; elapsed <= 13_500; elapsed += 250) {
      const bodies = elapsed >= WINDOW - 250 ? ["whole", "late"] : ["whole"];
      for (const name of bodies) {
        for (const [server, offset, label] of [[a, 0, "A"], [b, -5_000, "B"]]) {
          const r = await send(server.url, name === "whole" ? whole : late);
          statuses.push(`${name}@${elapsed}${label}:${r.status}`);
          if (elapsed + offset > WINDOW) {
            assert(r.status === 401, `${name} at ${elapsed} ms on ${label}: expected 401 past its window there, got ${r.status} ${r.text}`);
          } else {
            assert(r.status === 200, `${name} at ${elapsed} ms on ${label}: expected 200, got ${r.status} ${r.text}`);
            answers[name].add(r.text);
          }
        }
      }
      (await Deno.openKv(path)).close();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert(runs.get("whole") === 1, `"whole" ran ${runs.get("whole")} times: ${statuses.join(" ")}`);
    assert(runs.get("late") === 1, `"late" ran ${runs.get("late")} times: ${statuses.join(" ")}`);
    assert(answers.whole.size === 1 && answers.late.size === 1, "every server gave the one answer");
    assert(a.errors.length === 0 && b.errors.length === 0, `errors: ${[...a.errors, ...b.errors]}`);
  } finally {
    await a.close();
    await b.close();
    kvA.close();
    kvB.close();
    await Deno.remove(path);
  }
});
