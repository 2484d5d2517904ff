// One server process of the multi-process replay test: node:http + handle() with
// a RedisReplayGuard. Prints its port on stdout, then serves until killed.
import { createServer } from "node:http";
import { createClient } from "redis";
import { z } from "zod";
import { Account, RedisReplayGuard, defineRequest } from "../../../js-glue/src/entries/node.js";

const worker = Account.fromSecret(process.env.WORKER_SECRET);
const redis = createClient({ url: process.env.REDIS_URL });
await redis.connect();
worker.replayGuard = new RedisReplayGuard({ client: redis });
const route = defineRequest({
  url: "/api/book-event-ticket",
  workerId: worker.id,
  request: { eventId: z.string() },
  response: { ticketId: z.string() },
});
let handled = 0;
const server = createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const request = new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers: req.headers, body: Buffer.concat(chunks) });
  const response = await route.handle(request, worker, async ({ eventId }) => ({ ticketId: `${process.pid}-${eventId}-${++handled}` }));
  res.writeHead(response.status, Object.fromEntries(response.headers));
  res.end(Buffer.from(await response.arrayBuffer()));
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
process.on("SIGTERM", async () => {
  server.close();
  await redis.quit();
  process.exit(0);
});
