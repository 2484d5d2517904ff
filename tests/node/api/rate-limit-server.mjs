// One server process of tests/node/api/rate-limit-burst.test.mjs: node:http and
// toNodeListener(route, handler) with a RedisReplayGuard and the route's rateLimit
// (RATE_REQUESTS per RATE_PER_MS). GET /runs tells how often the handler ran. Prints
// its port on stdout, then serves until killed.
import { createServer } from "node:http";
import { createClient } from "redis";
import { z } from "zod";
import { Account, RedisReplayGuard, defineRequest, toNodeListener } from "../../../js-glue/src/entries/node.js";

const worker = Account.fromSecret(process.env.WORKER_SECRET);
const redis = createClient({ url: process.env.REDIS_URL });
await redis.connect();
const route = defineRequest({
  url: "/api/rated",
  workerId: worker.id,
  request: { n: z.number(), tag: z.string() },
  response: { n: z.number() },
  options: { rateLimit: { requests: Number(process.env.RATE_REQUESTS), perMs: Number(process.env.RATE_PER_MS) } },
});
let runs = 0;
const listener = toNodeListener(route, ({ n }) => (runs++, { n }), { worker, replayGuard: new RedisReplayGuard({ client: redis, prefix: process.env.PREFIX }) });
const server = createServer((req, res) => {
  if (req.url === "/runs") return res.end(String(runs));
  return listener(req, res);
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
process.on("SIGTERM", async () => {
  server.close();
  await redis.quit();
  process.exit(0);
});
