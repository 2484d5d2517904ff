// Next.js App Router route handlers: `export const POST = toRouteHandler(route, handler)`
// in app/<path>/route.js. The worker is made on the first request, so `next build`
// needs no secrets; Next's second argument ({ params }) is not an environment.
import { toFetchHandler } from "./fetch.js";

/**
 * @param {object} route made by defineRequest()
 * @param {Function} handler (value, madeBy) => the response value
 * @param {{ worker?: any, replayGuard?: any, onError?: (error: unknown) => void }} [options] as toFetchHandler
 * @returns {(request: Request) => Promise<Response>}
 */
export function toRouteHandler(route, handler, options) {
  const fetchHandler = toFetchHandler(route, handler, options);
  return (request) => fetchHandler(request);
}
