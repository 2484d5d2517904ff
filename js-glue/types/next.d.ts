// Types of jazzrpc/next: `export const POST = toRouteHandler(route, handler)` in app/<path>/route.js.
import type { Definition, Handler, Route, ServeOptions } from "./api.js";

/** A Next.js App Router route handler; the worker is made on the first request (next build needs no secrets). */
export declare function toRouteHandler<Req extends Definition, Res extends Definition>(
  route: Route<Req, Res>,
  handler: Handler<Req, Res>,
  options?: ServeOptions,
): (request: Request) => Promise<Response>;
