// What exactly once costs per request on Node (issue 15): handle() one at a time, in one
// process, with the MemoryReplayGuard, postgresExactlyOnce over PGlite (in memory) and
// over a pg Pool on a PostgreSQL 15 started here on 127.0.0.1 (the tests' starter). Each
// transactional handler books through context.tx (one UPDATE), as the README's does; the
// memory guard's handler books in a Map. Chunks of the three are interleaved, so that all
// see the same machine; the figures are medians of the chunks' rates.
//   node --expose-gc parts/handle-exactly-once.mjs
import { emit, log, median, QUICK, ROOT, round } from "../lib/measure.mjs";
import { glue, oursFor } from "../lib/ours.mjs";

const { PGlite } = await import(ROOT + "node_modules/@electric-sql/pglite/dist/index.js");
const pg = (await import(ROOT + "node_modules/pg/lib/index.js")).default;
const { startPostgres } = await import(ROOT + "tests/node/postgres/postgres-server.mjs");

const URL_ = "http://bench.invalid/api/book-event-ticket";
const CHUNK = QUICK ? 100 : 300;
const REPS = QUICK ? 3 : 9;

const worker = glue.Account.create();
const { route, makeBodies } = oursFor(URL_, worker.id);
const SQL = "CREATE TABLE IF NOT EXISTS seats (event text PRIMARY KEY, booked integer NOT NULL); INSERT INTO seats VALUES ('e', 0) ON CONFLICT DO NOTHING";
const txHandler = async ({ eventId }, _madeBy, { tx }) => {
  await tx.query("UPDATE seats SET booked = booked + 1 WHERE event = 'e'");
  return { ticketId: `ticket-${eventId}` };
};
const booked = new Map();
const memoryHandler = async ({ eventId }) => (booked.set(eventId, true), { ticketId: `ticket-${eventId}` });

const postgres = await startPostgres();
const pool = new pg.Pool({ connectionString: postgres.connectionString, max: 4 });
await pool.query(SQL);
const lite = new PGlite();
await lite.exec(SQL);
const setups = {
  memory: { options: { replayGuard: new glue.MemoryReplayGuard() }, handler: memoryHandler },
  pglite: { options: { exactlyOnce: glue.postgresExactlyOnce(lite) }, handler: txHandler },
  postgres: { options: { exactlyOnce: glue.postgresExactlyOnce(pool) }, handler: txHandler },
};
for (const s of Object.values(setups)) await s.options.exactlyOnce?.ready();

let from = 0;
async function chunkRate(setup) {
  const bodies = await makeBodies(CHUNK, (from += CHUNK));
  const t = performance.now();
  for (const body of bodies) {
    const response = await route.handle(new Request(URL_, { method: "POST", headers: { "Content-Type": "application/json" }, body }), worker, setup.handler, setup.options);
    if (response.status !== 200) throw new Error(`status ${response.status}: ${await response.text()}`);
  }
  return CHUNK / ((performance.now() - t) / 1000);
}

log(`exactly once: warm-up`);
for (const s of Object.values(setups)) await chunkRate(s);
const rates = { memory: [], pglite: [], postgres: [] };
log(`exactly once: ${REPS} rounds of ${CHUNK} requests each, interleaved`);
for (let r = 0; r < REPS; r++) for (const [name, s] of Object.entries(setups)) rates[name].push(await chunkRate(s));
const result = {};
for (const [name, xs] of Object.entries(rates)) result[name] = { perSecond: round(median(xs)), chunks: xs.map((x) => round(x)) };
result.ratios = { pglite_over_memory: round(result.pglite.perSecond / result.memory.perSecond), postgres_over_memory: round(result.postgres.perSecond / result.memory.perSecond) };
await setups.pglite.options.exactlyOnce.close();
await setups.postgres.options.exactlyOnce.close();
await pool.end();
await lite.close();
await postgres.stop();
emit(result);
process.exit(0);
