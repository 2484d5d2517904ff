// One server process of the surely-once fault suite (surely-once.test.mjs): node:http +
// toNodeListener + a booking route, over the setup SETUP names:
//   pglite    postgresExactlyOnce over PGlite in the folder DATA_DIR (one process; restarts)
//   postgres  postgresExactlyOnce over a pg Pool on DATABASE_URL (several processes)
//   redis     RedisReplayGuard on REDIS_URL (several processes)
// The handler books one seat of CAPACITY for its signer, or throws "Event is full". Its
// effects live in the store, outside this process: the test counts them there. Listens on
// PORT (the test restarts a killed process on the same port) and prints "ready".
import { createServer } from "node:http";
import { z } from "zod";
import { Account, JazzRequestError, RedisReplayGuard, defineRequest, postgresExactlyOnce, toNodeListener } from "../../../js-glue/src/entries/node.js";

const { SETUP, PORT, WORKER_SECRET, CAPACITY } = process.env;
const worker = Account.fromSecret(WORKER_SECRET);
const route = defineRequest({
  url: "/api/book",
  workerId: worker.id,
  request: { eventId: z.string() },
  response: { ticketId: z.string() },
  options: { leaseMs: 1_500 },
});

let handle;
if (SETUP === "redis") {
  const { createClient } = await import("redis");
  const redis = createClient({ url: process.env.REDIS_URL });
  await redis.connect();
  const guard = new RedisReplayGuard({ client: redis, prefix: "surely:" });
  // One seat for the signer, atomically: the seats left, the bookings list and a run count.
  const BOOK = `redis.call("INCR", KEYS[3])
local left = tonumber(redis.call("GET", KEYS[1]) or ARGV[2])
if left <= 0 then return -1 end
redis.call("SET", KEYS[1], left - 1)
redis.call("RPUSH", KEYS[2], ARGV[1])
return left`;
  const handler = async ({ eventId }, madeBy) => {
    const left = Number(await redis.eval(BOOK, { keys: [`seats:${eventId}`, `bookings:${eventId}`, `runs:${madeBy.id}`], arguments: [madeBy.id, String(CAPACITY)] }));
    if (left < 0) throw new JazzRequestError("Event is full", 400);
    return { ticketId: `${eventId}-seat-${left}` };
  };
  handle = (request) => route.handle(request, worker, handler, { replayGuard: guard, onError: () => {} });
} else {
  let db;
  if (SETUP === "pglite") {
    const { PGlite } = await import("@electric-sql/pglite");
    db = await PGlite.create(process.env.DATA_DIR);
  } else {
    const pg = (await import("pg")).default;
    db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 8 });
  }
  const exactlyOnce = postgresExactlyOnce(db);
  await exactlyOnce.ready();
  const handler = async ({ eventId }, madeBy, { tx }) => {
    const { rows } = await tx.query("UPDATE seats SET left_ = left_ - 1 WHERE event = $1 AND left_ > 0 RETURNING left_", [eventId]);
    if (rows.length === 0) throw new JazzRequestError("Event is full", 400);
    const seat = rows[0].left_ + 1;
    await tx.query("INSERT INTO tickets (account, seat) VALUES ($1, $2)", [madeBy.id, seat]);
    return { ticketId: `${eventId}-seat-${seat}` };
  };
  handle = (request) => route.handle(request, worker, handler, { exactlyOnce, onError: () => {} });
}

const server = createServer(toNodeListener(handle));
server.keepAliveTimeout = 500;
server.listen(Number(PORT), "127.0.0.1", () => console.log("ready"));
