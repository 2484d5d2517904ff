// Hono: `app.post(route.path, jazzrpc(route, handler))`. The Request is Hono's
// raw one (c.req.raw), its body unread; secrets come from c.env (Workers) or the
// process environment. The handler's context gets c.env and c.executionCtx.
import { toFetchHandler } from "./fetch.js";

/**
 * @param {object} route made by defineRequest()
 * @param {Function} handler (value, madeBy) => the response value
 * @param {{ worker?: any, replayGuard?: any, onError?: (error: unknown) => void }} [options] as toFetchHandler
 * @returns {(c: { req: { raw: Request }, env?: object, executionCtx?: object }) => Promise<Response>}
 */
export function jazzrpc(route, handler, options) {
  const fetchHandler = toFetchHandler(route, handler, options);
  return (c) => fetchHandler(c.req.raw, c.env, executionCtxOf(c));
}

// Hono's c.executionCtx throws where the platform has none (Node, Deno).
function executionCtxOf(c) {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}
