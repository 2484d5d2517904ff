// The test Worker of tests/workerd/rate-limit.test.mjs. POST /api/rated?name=&shards=
// &requests=&perMs= serves the route with a rate limit through durableObjectReplayGuard
// (its windows in the shard each key hashes to); POST /once/api/rated?... the same route
// inside a Durable Object with exactlyOnce(ctx) (the window in that object's SQLite, in
// the claim's transaction). The handler counts its runs per name; GET /runs?name= tells.
import * as lib from "jazzrpc/cloudflare";
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";

export { ReplayGuardDurableObject } from "jazzrpc/cloudflare";

const routes = new Map();
function routeOf(workerId, q) {
  const key = `${q.get("requests")}:${q.get("perMs")}`;
  let route = routes.get(key);
  if (route === undefined) {
    route = lib.defineRequest({
      url: "/api/rated",
      workerId,
      request: { n: z.number(), tag: z.string() },
      response: { n: z.number() },
      options: { rateLimit: { requests: Number(q.get("requests")), perMs: Number(q.get("perMs")) } },
    });
    routes.set(key, route);
  }
  return route;
}

const runs = new Map();
const json = (value, status = 200) => new Response(JSON.stringify(value), { status, headers: { "Content-Type": "application/json" } });
let worker = null;

/** The route inside the object that owns its state: claim, count, handler and answer in one transaction. */
export class RatedOnce extends DurableObject {
  #once;
  #runs = 0;
  constructor(ctx, env) {
    super(ctx, env);
    this.#once = lib.exactlyOnce(ctx);
  }
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/runs") return json({ runs: this.#runs });
    worker ??= lib.Account.fromSecret(this.env.JAZZ_WORKER_SECRET);
    return routeOf(worker.id, url.searchParams).handle(request, worker, ({ n }) => (this.#runs++, { n }), { exactlyOnce: this.#once, onError: () => {} });
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const q = url.searchParams;
    const name = q.get("name") ?? "rated";
    worker ??= lib.Account.fromSecret(env.JAZZ_WORKER_SECRET);
    if (url.pathname.startsWith("/once/")) {
      const stub = env.ONCE.get(env.ONCE.idFromName(name));
      return stub.fetch(new Request(new URL(url.pathname.slice("/once".length) + url.search, url), request));
    }
    if (url.pathname === "/runs") return json({ runs: runs.get(name) ?? 0 });
    const guard = lib.durableObjectReplayGuard(env.GUARD, { name, shards: Number(q.get("shards") ?? 1) });
    const handler = ({ n }) => (runs.set(name, (runs.get(name) ?? 0) + 1), { n });
    return routeOf(worker.id, q).handle(request, worker, handler, { replayGuard: guard, onError: () => {} });
  },
};
