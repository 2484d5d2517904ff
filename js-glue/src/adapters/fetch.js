// The one shape every runtime serves: a fetch handler, (request, env?) => Promise<Response>.
// Deno.serve and Workers take it as it is; node:http through toNodeListener, Hono
// and Next.js through their thin adapters beside this file.
//
// The worker account is made on the first request, from JAZZ_WORKER_ACCOUNT and
// JAZZ_WORKER_SECRET (the Workers env, else process.env or Deno.env), so that
// importing the server module (a build, a cold start) needs no secrets.

import { startWorker } from "../rpc/account.js";
import { JazzRequestError } from "../rpc/request-error.js";
import { answerError } from "../rpc/answer.js";
import { SERVE_OPTIONS, checkOptions } from "../rpc/options.js";

/**
 * @param {object | Array<[object, Function]>} routeOrRoutes a route (then `handler`), or a list of [route, handler]
 * @param {Function | object} [handlerOrOptions]
 * @param {{ worker?: any, replayGuard?: any, onError?: (error: unknown) => void } & object} [maybeOptions]
 *   worker: an Account, or (env) => an Account or a promise of one (default: startWorker from the environment);
 *   replayGuard: a guard, or (env) => a guard (default: the worker's, else one per instance in memory);
 *   any other option is handle()'s (exactlyOnce, duplicates, onError, limits…).
 *   The handler gets (value, madeBy, context) with context.request, context.id, and the
 *   env and ctx the platform passed (Workers' env and ExecutionContext).
 * @returns {(request: Request, env?: object, ctx?: object) => Promise<Response>}
 */
export function toFetchHandler(routeOrRoutes, handlerOrOptions, maybeOptions) {
  const several = Array.isArray(routeOrRoutes);
  const pairs = several ? routeOrRoutes : [[routeOrRoutes, handlerOrOptions]];
  const options = (several ? handlerOrOptions : maybeOptions) ?? {};
  for (const [route, handler] of pairs) {
    if (typeof route?.handle !== "function") throw new TypeError("toFetchHandler: a route made by defineRequest() is required");
    if (typeof handler !== "function") throw new TypeError(`toFetchHandler: the handler of ${route.url} must be a function`);
  }
  const byPath = new Map(pairs.map(([route, handler]) => [route.path, { route, handler }]));
  const { worker: givenWorker, replayGuard: givenGuard, ...handleOptions } = options ?? {};
  // A wrong option is a TypeError now, not a failing request later. The guard may also be
  // (env) => guard, checked when it is made.
  checkOptions(typeof givenGuard === "function" ? { ...options, replayGuard: undefined } : options, SERVE_OPTIONS, "toFetchHandler options");
  const workerOf = lazyWorker(givenWorker);
  return async function fetchHandler(request, env, ctx) {
    try {
      const entry = several ? byPath.get(new URL(request.url).pathname) : { route: pairs[0][0], handler: pairs[0][1] };
      if (!entry) throw new JazzRequestError("Not found", 404, undefined, { reason: "ERR_NOT_FOUND" });
      const platformEnv = isServer(env) ? undefined : env;
      const worker = await workerOf(platformEnv);
      const replayGuard = typeof givenGuard === "function" ? givenGuard(platformEnv) : givenGuard;
      const perRequest = { ...handleOptions, env: platformEnv ?? handleOptions.env, ctx: isServer(env) ? handleOptions.ctx : (ctx ?? handleOptions.ctx) };
      if (replayGuard) perRequest.replayGuard = replayGuard;
      return await entry.route.handle(request, worker, entry.handler, perRequest);
    } catch (error) {
      return answerError(error, options); // a worker that cannot be made: 500, told to onError (or console.error)
    }
  };
}

// Bun.serve and Deno.serve pass their server or connection info as the second
// argument: not an environment.
const isServer = (x) => x !== null && typeof x === "object" && (typeof x.requestIP === "function" || typeof x.upgrade === "function" || "remoteAddr" in x);

// The worker, made once (again after a failure) on the first request.
function lazyWorker(given) {
  if (given !== undefined && typeof given !== "function") return async () => given;
  let pending = null;
  return (env) => {
    pending ??= Promise.resolve()
      .then(() => (given ? given(env) : startWorker({ env })))
      .then((value) => value?.worker ?? value)
      .catch((error) => {
        pending = null;
        throw error;
      });
    return pending;
  };
}
