// node:http adapter: turns a fetch-style handler, (Request) => Promise<Response>,
// into a listener for http.createServer.
//
// The body is read from the IncomingMessage itself (adapters/node-body.js), never
// through Node's web-stream adapter, whose late chunks after a cancel crash the
// process: handle() reads it directly with its size limit and deadline, and a
// handler of the app's own gets `request.body` as a stream over the same events. A
// body abandoned before its end (too large, too slow, aborted) closes the connection
// once the answer is written. An answer made by handle() is written as it is, without
// reading the Response's stream.
//
// toNodeListener(route, handler, options) goes further: no Request and no Response at
// all. The route's answer entry reads the body from the IncomingMessage and gives a
// plain answer, written to the ServerResponse; a Request is made only if the handler
// reads context.request. Options as toFetchHandler's (worker, replayGuard, handle()'s).
import { NodeBody } from "./node-body.js";
import { BODY_SOURCE } from "../rpc/body.js";
import { ANSWER, answerForError } from "../rpc/answer.js";
import { ANSWER_ENTRY } from "../rpc/route.js";
import { serveSetup } from "./fetch.js";

const INTERNAL = JSON.stringify({ message: "Internal server error", code: 500, reason: "ERR_INTERNAL" });

/**
 * @param {((request: Request) => Response | Promise<Response>) | object} fetchHandlerOrRoute
 *   a fetch handler, or a route made by defineRequest() (then handler and options)
 */
export function toNodeListener(fetchHandlerOrRoute, handler, options) {
  if (typeof fetchHandlerOrRoute?.[ANSWER_ENTRY] === "function") return routeListener(fetchHandlerOrRoute, handler, options);
  const fetchHandler = fetchHandlerOrRoute;
  if (typeof fetchHandler !== "function") {
    throw new TypeError("toNodeListener: a fetch handler, (request) => Response, or a route and its handler (toNodeListener(route, handler, options)) is required");
  }
  return async (req, res) => {
    const body = new NodeBody(req);
    try {
      const response = await fetchHandler(requestOf(req, body));
      await writeResponse(res, response, body);
    } catch {
      writeAnswer(res, { status: 500, headers: { "Content-Type": "application/json" }, body: INTERNAL }, body);
    }
  };
}

// The route's own listener: the answer entry, no Request or Response made.
function routeListener(route, handler, options = {}) {
  if (typeof handler !== "function") throw new TypeError(`toNodeListener: the handler of ${route.url} must be a function`);
  const setup = serveSetup(options, "toNodeListener options");
  return async (req, res) => {
    const body = new NodeBody(req);
    let answer;
    try {
      const { worker, handleOptions } = await setup(undefined, undefined);
      answer = await route[ANSWER_ENTRY](sourceOf(req, body), worker, handler, handleOptions);
    } catch (error) {
      answer = answerForError(error, options); // a worker that cannot be made: 500, told to onError
    }
    try {
      writeAnswer(res, answer, body);
    } catch {
      res.destroy();
    }
  };
}

// What the answer entry reads of an IncomingMessage: its method, its body (read once),
// and a Request made only when asked for (the handler's context.request), over the
// bytes already read.
function sourceOf(req, body) {
  let bytes;
  let request;
  return {
    method: req.method,
    read: async (maxBytes, timeoutMs) => (bytes = await body.read(maxBytes, timeoutMs)),
    get request() {
      request ??= requestOf(req, body, bytes);
      return request;
    },
  };
}

function requestOf(req, body, bytes) {
  const url = new URL(req.url ?? "/", `http://${req.headers.host ?? "127.0.0.1"}`);
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    try {
      headers.append(raw[i], raw[i + 1]);
    } catch {
      // a header value fetch's Headers refuses (Node's parser is laxer): left out
    }
  }
  if (bytes !== undefined) return new Request(url, { method: req.method, headers, body: hasBody ? bytes : undefined });
  const request = new Request(url, { method: req.method, headers, body: hasBody ? body.stream() : undefined, duplex: "half" });
  if (hasBody) request[BODY_SOURCE] = body;
  return request;
}

async function writeResponse(res, response, body) {
  const headers = {};
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie") headers[name] = value;
  }
  const cookies = response.headers.getSetCookie?.() ?? [];
  if (cookies.length > 0) headers["set-cookie"] = cookies;
  // An answer made by handle() is written from its text (its headers are read from
  // the Response, which middleware may have changed; its status and body cannot be).
  const answer = response[ANSWER];
  if (answer !== undefined && !response.bodyUsed) return writeAnswer(res, { status: response.status, headers, body: answer.body }, body);
  if (body.abandoned) headers.connection = "close";
  res.writeHead(response.status, headers);
  if (response.body) {
    for await (const chunk of response.body) {
      if (res.destroyed) break;
      if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve).once("close", resolve));
    }
  }
  endAnswer(res, undefined, body);
}

function writeAnswer(res, answer, body) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers = { ...answer.headers, "content-length": Buffer.byteLength(answer.body) };
  if (body.abandoned) headers.connection = "close";
  res.writeHead(answer.status, headers);
  endAnswer(res, answer.body, body);
}

// Ends the answer. A connection whose body was abandoned is closed once the answer
// is written, as Node does after `Connection: close`, but lingering: a FIN first, then
// what the client still sends is read and dropped for at most LINGER_MS before the
// socket is destroyed. (Closing a socket with unread data sends a reset, which can
// destroy the answer in the client's buffers before it reads it.)
const LINGER_MS = 1_000;
function endAnswer(res, text, body) {
  if (body.abandoned) {
    const socket = res.socket;
    if (socket && !socket.destroyed) {
      socket.destroySoon = () => lingeringClose(socket, res.req);
    }
  }
  res.end(text);
}

function lingeringClose(socket, req) {
  if (socket.destroyed) return;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref?.();
  socket.once("close", () => clearTimeout(timer));
  socket.end();
  req?.resume(); // read and dropped: no listener takes the data
  socket.resume();
}
