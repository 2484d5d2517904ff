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
  const setup = serveSetup(options, "toFetchHandler options");
  return async function fetchHandler(request, env, ctx) {
    try {
      const entry = several ? byPath.get(new URL(request.url).pathname) : { route: pairs[0][0], handler: pairs[0][1] };
      if (!entry) throw new JazzRequestError("Not found", 404, undefined, { reason: "ERR_NOT_FOUND" });
      const platformEnv = isServer(env) ? undefined : env;
      const { worker, handleOptions } = await setup(platformEnv, isServer(env) ? undefined : ctx);
      return await entry.route.handle(request, worker, entry.handler, handleOptions);
    } catch (error) {
      return answerError(error, options); // a worker that cannot be made: 500, told to onError (or console.error)
    }
  };
}

// Bun.serve and Deno.serve pass their server or connection info as the second
// argument: not an environment.
const isServer = (x) => x !== null && typeof x === "object" && (typeof x.requestIP === "function" || typeof x.upgrade === "function" || "remoteAddr" in x);

/**
 * The options of a server adapter (toFetchHandler, toNodeListener(route, handler)),
 * checked once: (env, ctx) => { worker, handleOptions } per request, the worker made on
 * the first request (from the environment by default) and the guard from env when it is
 * (env) => guard.
 */
export function serveSetup(options, where) {
  const { worker: givenWorker, replayGuard: givenGuard, ...handleOptions } = options ?? {};
  // A wrong option is a TypeError now, not a failing request later. The guard may also be
  // (env) => guard, checked when it is made.
  checkOptions(typeof givenGuard === "function" ? { ...options, replayGuard: undefined } : options, SERVE_OPTIONS, where);
  const workerOf = lazyWorker(givenWorker);
  return async (env, ctx) => {
    const worker = await workerOf(env);
    const replayGuard = typeof givenGuard === "function" ? givenGuard(env) : givenGuard;
    const perRequest = { ...handleOptions, env: env ?? handleOptions.env, ctx: ctx ?? handleOptions.ctx };
    if (replayGuard) perRequest.replayGuard = replayGuard;
    return { worker, handleOptions: perRequest };
  };
}

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
