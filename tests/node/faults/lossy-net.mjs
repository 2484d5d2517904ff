// Helpers of lossy.test.mjs (not a test file): the booking server (node:http +
// toNodeListener + route.handle() with the default MemoryReplayGuard) and an HTTP
// proxy on 127.0.0.1 that forwards every request and drops a seeded share of the
// responses after the server answered (it destroys the client's connection).
import { createServer, request as httpRequest, Agent } from "node:http";
import { createHash } from "node:crypto";
import { z } from "zod";
import { JazzRequestError, defineRequest, toNodeListener } from "../../../js-glue/src/entries/node.js";

export const PATH = "/api/book-event-ticket";

export const bookingRoute = (worker) =>
  defineRequest({
    url: PATH,
    workerId: worker.id,
    request: { eventId: z.string() },
    response: { ticketId: z.string() },
  });

const listen = (server) =>
  new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server.address().port)));

const close = (server) =>
  new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });

/**
 * The event: `capacity` seats; the handler books one per call or throws "Event is
 * full". `runs` counts the handler's calls per account (each client signs one body,
 * so per request id). `handleOptions` goes to route.handle() (e.g. duplicates).
 */
export async function startBookingServer({ worker, capacity, handleOptions }) {
  const route = bookingRoute(worker);
  const bookings = []; // account ids, in booking order
  const runs = new Map(); // account id -> handler calls
  const handler = async ({ eventId }, madeBy) => {
    runs.set(madeBy.id, (runs.get(madeBy.id) ?? 0) + 1);
    await new Promise((r) => setImmediate(r)); // let other requests interleave
    if (bookings.length >= capacity) throw new JazzRequestError("Event is full", 400);
    bookings.push(madeBy.id);
    return { ticketId: `${eventId}-seat-${bookings.length}` };
  };
  const server = createServer(toNodeListener((request) => route.handle(request, worker, handler, handleOptions)));
  const port = await listen(server);
  return { port, bookings, runs, stop: () => close(server) };
}

/** A number in [0, 1) from (seed, client, attempt): the same drops on every run. */
export function draw(seed, client, attempt) {
  return createHash("sha256").update(`${seed}:${client}:${attempt}`).digest().readUInt32BE(0) / 2 ** 32;
}

/** Whether the proxy drops the response to a client's attempt (1-based). */
export const isDropped = (seed, rate, client, attempt) => draw(seed, client, attempt) < rate;

const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "content-length"]);

/**
 * The lossy proxy. Each request names its client in the X-Client header; the
 * proxy numbers that client's attempts, forwards every request to the server,
 * reads the whole answer (status, headers, body), then drops it (destroys the
 * client's connection) when isDropped(seed, rate, client, attempt), else forwards it.
 * `log` holds every exchange as the proxy saw it.
 */
export async function startLossyProxy({ targetPort, seed, rate }) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const attemptsByClient = new Map();
  const log = []; // { client, attempt, id, status, replayed, dropped, text }
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const client = String(req.headers["x-client"]);
      const attempt = (attemptsByClient.get(client) ?? 0) + 1;
      attemptsByClient.set(client, attempt);
      let id = null;
      try {
        id = JSON.parse(body.toString("utf8")).id ?? null;
      } catch {
        // not JSON: forwarded as it is
      }
      const upstream = httpRequest(
        { host: "127.0.0.1", port: targetPort, method: req.method, path: req.url, agent, headers: { "content-type": req.headers["content-type"] ?? "application/json", "content-length": body.length } },
        (answer) => {
          const parts = [];
          answer.on("data", (c) => parts.push(c));
          answer.on("end", () => {
            const text = Buffer.concat(parts);
            const dropped = isDropped(seed, rate, client, attempt);
            log.push({ client, attempt, id, status: answer.statusCode, replayed: answer.headers["x-jazz-replayed"] === "true", dropped, text: text.toString("utf8") });
            if (dropped) {
              req.socket.destroy(); // the server answered; the client never learns it
              return;
            }
            const headers = {};
            for (const [name, value] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(name)) headers[name] = value;
            res.writeHead(answer.statusCode, { ...headers, "content-length": text.length });
            res.end(text);
          });
        },
      );
      upstream.on("error", (error) => {
        log.push({ client, attempt, id, status: null, error: String(error), dropped: true });
        req.socket.destroy();
      });
      upstream.end(body);
    });
  });
  const port = await listen(server);
  return {
    port,
    log,
    stop: async () => {
      await close(server);
      agent.destroy();
    },
  };
}
