// server.js: Hono on Node (@hono/node-server), on 127.0.0.1 (PORT, or a free port).
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { startWorker } from "jazzrpc/node";
import { bookEventTicket } from "./bookEventTicket.js";
import { bookTicket } from "./events.js";

const { worker } = await startWorker(); // JAZZ_WORKER_ACCOUNT and JAZZ_WORKER_SECRET

const app = new Hono();
app.post("/api/book", (c) => bookEventTicket.handle(c.req.raw, worker, bookTicket));

serve({ fetch: app.fetch, hostname: "127.0.0.1", port: Number(process.env.PORT ?? 0) }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
});
