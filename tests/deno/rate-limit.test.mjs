// Per-signer rate limits (issue 19.1) on Deno KV: the window's entry is read with the
// id's and written with the claim in one atomic check of both versionstamps. The shared
// scenario (exactly the limit, 429 with Retry-After, duplicates not counted, refused ids
// usable later), and one burst over two KV handles on one file: exact across them.
import { z } from "zod";
import * as lib from "../../js-glue/src/entries/deno.js";
import { bodiesOf, boundaryScenario } from "../node/api/rate-limit-scenarios.mjs";

const worker = lib.Account.create();
const routeWith = (options) =>
  lib.defineRequest({ url: "/api/rated", workerId: worker.id, request: { n: z.number(), tag: z.string() }, response: { n: z.number() }, options });

function serverOf(route, guard) {
  let runs = 0;
  const post = (body) => route.handle(new Request("http://h/api/rated", { method: "POST", body }), worker, ({ n }) => (runs++, { n }), { replayGuard: guard });
  return { post, runs: () => runs };
}

Deno.test("DenoKvReplayGuard: exactly the limit per window, 429 with Retry-After, duplicates not counted, refused ids succeed later", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const route = routeWith({ rateLimit: { requests: 4, perMs: 1_500 } });
    const { post, runs } = serverOf(route, new lib.DenoKvReplayGuard({ kv }));
    await boundaryScenario({ route, post, runs, makeOwner: () => lib.Account.create(), requests: 4, perMs: 1_500 });
  } finally {
    kv.close();
  }
});

Deno.test("DenoKvReplayGuard: a burst of one signer over two KV handles on one file gets exactly its limit", async () => {
  const path = await Deno.makeTempFile({ suffix: ".kv" });
  const [a, b] = [await Deno.openKv(path), await Deno.openKv(path)];
  try {
    const route = routeWith({ rateLimit: { requests: 7, perMs: 60_000 } });
    const servers = [serverOf(route, new lib.DenoKvReplayGuard({ kv: a })), serverOf(route, new lib.DenoKvReplayGuard({ kv: b }))];
    const bodies = await bodiesOf(route, lib.Account.create(), 20);
    const statuses = await Promise.all(bodies.map(async (p, i) => (await servers[i % 2].post(p.body)).status));
    const ok = statuses.filter((s) => s === 200).length;
    if (ok !== 7 || statuses.filter((s) => s === 429).length !== 13) throw new Error(`expected 7 in and 13 refused, got ${statuses}`);
    if (servers[0].runs() + servers[1].runs() !== 7) throw new Error("the handler ran more than the limit");
  } finally {
    a.close();
    b.close();
    await Deno.remove(path);
  }
});

Deno.test("DenoKvReplayGuard: a limit larger than one KV value can hold is refused (503, nothing runs)", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const errors = [];
    const route = routeWith({ rateLimit: { requests: 9_000, perMs: 1_000 }, onError: (e) => errors.push(e.message) });
    const { post, runs } = serverOf(route, new lib.DenoKvReplayGuard({ kv }));
    const [p] = await bodiesOf(route, lib.Account.create(), 1);
    const response = await post(p.body);
    if (response.status !== 503 || runs() !== 0 || !/8000/.test(errors[0])) throw new Error(`got ${response.status}, ${errors}`);
  } finally {
    kv.close();
  }
});
