// Types of jazzrpc/hono: `app.post(route.path, jazzrpc(route, handler))`.
import type { Definition, Handler, Route, ServeOptions } from "./api.js";

/** A Hono handler for the route: it passes c.req.raw, and c.env for the worker's secrets. */
export declare function jazzrpc<Req extends Definition, Res extends Definition>(
  route: Route<Req, Res>,
  handler: Handler<Req, Res>,
  options?: ServeOptions,
): (c: { req: { raw: Request }; env?: any }) => Promise<Response>;
