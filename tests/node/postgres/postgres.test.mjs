// postgresExactlyOnce against real databases: Debian's PostgreSQL started here on
// 127.0.0.1 (through a pg Pool), and PGlite in memory and in a folder. The same
// scenarios run on each; the concurrent ones, the lock timeout, the connection
// failures and the SIGKILLed process are run where they apply.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { postgresExactlyOnce } from "../../../js-glue/src/entries/node.js";
import { startPostgres } from "./postgres-server.mjs";

const TIMEOUT = { timeout: 60_000 };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const answerOf = (text) => ({ status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify({ text }) });
let n = 0;
const names = () => {
  n += 1;
  return { table: `jr_requests_${n}`, effects: `jr_effects_${n}` };
};
const fresh = () => `id-${n}-${Math.random().toString(36).slice(2)}`;

/** A gate a test opens: work waits on it. */
function gate() {
  let open;
  const promise = new Promise((resolve) => (open = resolve));
  return { promise, open };
}

async function effectsOf(db, effects, id) {
  return (await db.query(`SELECT note FROM ${effects} WHERE id = $1 ORDER BY note`, [id])).rows.map((r) => r.note);
}
async function rowsOf(db, table, id) {
  return (await db.query(`SELECT id, expires_at, keep_until, answer FROM ${table} WHERE id = $1`, [id])).rows;
}

let server;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});
const pgConfig = () => ({ host: server.host, port: server.port, user: server.user, database: server.database });

const folders = [];
after(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});
const tempFolder = (prefix) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
};

const backends = [
  { name: "pg Pool", kind: "pg", open: () => new pg.Pool({ ...pgConfig(), max: 30 }), close: (db) => db.end() },
  { name: "PGlite in memory", kind: "pglite", open: () => PGlite.create(), close: (db) => db.close() },
  { name: "PGlite in a folder", kind: "pglite", open: () => PGlite.create(tempFolder("jazzrpc-pglite-")), close: (db) => db.close() },
];

for (const backend of backends) {
  describe(`postgresExactlyOnce with ${backend.name}`, () => {
    let db;
    before(async () => {
      db = await backend.open();
    });
    after(async () => {
      await backend.close(db);
    });

    async function setup(options = {}) {
      const { table, effects } = names();
      await db.query(`CREATE TABLE ${effects} (id text NOT NULL, note text NOT NULL)`);
      const store = postgresExactlyOnce(db, { table, ...options });
      await store.ready();
      return { store, table, effects };
    }

    test("the first run commits its answer and the handler's writes; kind is async", TIMEOUT, async () => {
      const { store, table, effects } = await setup();
      assert.equal(store.kind, "async");
      const id = fresh();
      const expiresAt = Date.now() + 60_000;
      const outcome = await store.run(id, { expiresAt, keepUntil: expiresAt + 3_600_000 }, async (tx) => {
        const inserted = await tx.query(`INSERT INTO ${effects} (id, note) VALUES ($1, 'booked') RETURNING note`, [id]);
        assert.deepEqual(inserted.rows, [{ note: "booked" }]);
        assert.equal(inserted.rowCount, 1);
        const updated = await tx.query(`UPDATE ${effects} SET note = 'booked' WHERE id = $1`, [id]);
        assert.equal(updated.rowCount, 1);
        assert.deepEqual(updated.rows, []);
        return answerOf("seat 1");
      });
      assert.deepEqual(outcome, { state: "first", answer: answerOf("seat 1") });
      assert.deepEqual(await effectsOf(db, effects, id), ["booked"]);
      const rows = await rowsOf(db, table, id);
      assert.equal(rows.length, 1);
      assert.deepEqual(JSON.parse(rows[0].answer), answerOf("seat 1"));
      assert.equal(Number(rows[0].expires_at), expiresAt);
      assert.equal(Number(rows[0].keep_until), expiresAt + 3_600_000);
    });

    test("a duplicate gets done with the same answer and its work does not run", TIMEOUT, async () => {
      const { store, effects } = await setup();
      const id = fresh();
      const expiresAt = Date.now() + 60_000;
      const work = async (tx) => {
        await tx.query(`INSERT INTO ${effects} (id, note) VALUES ($1, 'ran')`, [id]);
        return answerOf("once");
      };
      assert.equal((await store.run(id, { expiresAt }, work)).state, "first");
      let ran = false;
      const again = await store.run(id, { expiresAt }, async () => {
        ran = true;
        return answerOf("twice");
      });
      assert.deepEqual(again, { state: "done", answer: answerOf("once") });
      assert.equal(ran, false);
      // Another store on the same table (another process's) answers the same.
      const other = postgresExactlyOnce(db, { table: store.table });
      assert.deepEqual(await other.run(id, { expiresAt }, work), { state: "done", answer: answerOf("once") });
      assert.deepEqual(await effectsOf(db, effects, id), ["ran"]);
    });

    test("an answer stored as null (storedAs) is done with null", TIMEOUT, async () => {
      const { store } = await setup();
      const id = fresh();
      const expiresAt = Date.now() + 60_000;
      const first = await store.run(id, { expiresAt, storedAs: () => null }, async () => answerOf("big"));
      assert.deepEqual(first, { state: "first", answer: answerOf("big") });
      assert.deepEqual(await store.run(id, { expiresAt }, async () => answerOf("again")), { state: "done", answer: null });
    });

    test("work that throws rolls back its writes and the claim; the same error is rethrown; the retry runs cleanly", TIMEOUT, async () => {
      const { store, table, effects } = await setup();
      const id = fresh();
      const expiresAt = Date.now() + 60_000;
      const boom = new Error("no seats left to check");
      await assert.rejects(
        store.run(id, { expiresAt }, async (tx) => {
          await tx.query(`INSERT INTO ${effects} (id, note) VALUES ($1, 'half done')`, [id]);
          throw boom;
        }),
        (error) => error === boom,
      );
      assert.deepEqual(await effectsOf(db, effects, id), []);
      assert.deepEqual(await rowsOf(db, table, id), []);
      // A database error inside work is thrown too, and rolls back the same way.
      await assert.rejects(
        store.run(id, { expiresAt }, async (tx) => {
          await tx.query(`INSERT INTO ${effects} (id, note) VALUES ($1, 'half done')`, [id]);
          await tx.query(`INSERT INTO no_such_table_here VALUES (1)`);
          return answerOf("never");
        }),
        /no_such_table_here/,
      );
      assert.deepEqual(await effectsOf(db, effects, id), []);
      assert.deepEqual(await rowsOf(db, table, id), []);
      const retry = await store.run(id, { expiresAt }, async (tx) => {
        await tx.query(`INSERT INTO ${effects} (id, note) VALUES ($1, 'retried')`, [id]);
        return answerOf("retried");
      });
      assert.deepEqual(retry, { state: "first", answer: answerOf("retried") });
      assert.deepEqual(await effectsOf(db, effects, id), ["retried"]);
    });

    test("20 concurrent copies of one id run work once and all get its answer", TIMEOUT, async () => {
      const { store, effects } = await setup();
      // pg: copies spread over 4 pools (as over processes: they wait on the row in
      // PostgreSQL) and 5 per pool (they wait in the process); PGlite: one process.
      const extra = backend.kind === "pg" ? [1, 2, 3].map(() => new pg.Pool({ ...pgConfig(), max: 6 })) : [];
      try {
        const stores = [store, ...extra.map((pool) => postgresExactlyOnce(pool, { table: store.table }))];
        const id = fresh();
        const expiresAt = Date.now() + 60_000;
        let runs = 0;
        const outcomes = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            stores[i % stores.length].run(id, { expiresAt }, async (tx) => {
              runs += 1;
              await tx.query(`INSERT INTO ${effects} (id, note) VALUES ($1, $2)`, [id, `copy ${i}`]);
              await sleep(150); // the others arrive while this one holds the id
              return answerOf(`copy ${i}`);
            }),
          ),
        );
        assert.equal(runs, 1);
        assert.equal(outcomes.filter((o) => o.state === "first").length, 1);
        assert.equal(outcomes.filter((o) => o.state === "done").length, 19);
        const { answer } = outcomes.find((o) => o.state === "first");
        for (const outcome of outcomes) assert.deepEqual(outcome.answer, answer);
        assert.deepEqual(await effectsOf(db, effects, id), [JSON.parse(answer.body).text]);
      } finally {
        await Promise.all(extra.map((pool) => pool.end()));
      }
    });

    test("a copy held up longer than lockTimeoutMs gets running; one that waits gets done, or runs if the first rolled back", TIMEOUT, async () => {
      const { store, effects } = await setup();
      const other = backend.kind === "pg" ? new pg.Pool({ ...pgConfig(), max: 4 }) : null;
      try {
        const id = fresh();
        const expiresAt = Date.now() + 60_000;
        const inside = gate();
        const release = gate();
        const first = store.run(id, { expiresAt }, async (tx) => {
          await tx.query(`INSERT INTO ${effects} (id, note) VALUES ($1, 'first')`, [id]);
          inside.open();
          await release.promise;
          return answerOf("first");
        });
        await inside.promise;
        const never = async () => {
          throw new Error("a copy ran while the first held the id");
        };
        // In this process (any db), and from another pool, waiting on the row in PostgreSQL.
        const impatient = [postgresExactlyOnce(db, { table: store.table, lockTimeoutMs: 200 })];
        if (other) impatient.push(postgresExactlyOnce(other, { table: store.table, lockTimeoutMs: 200 }));
        for (const s of impatient) {
          const t0 = Date.now();
          assert.deepEqual(await s.run(id, { expiresAt }, never), { state: "running" });
          assert.ok(Date.now() - t0 >= 150, "waited about lockTimeoutMs first");
        }
        // A patient copy waits for the first and gets its answer.
        const patient = postgresExactlyOnce(other ?? db, { table: store.table, lockTimeoutMs: 10_000 });
        const waiting = patient.run(id, { expiresAt }, never);
        await sleep(300);
        release.open();
        assert.deepEqual(await first, { state: "first", answer: answerOf("first") });
        assert.deepEqual(await waiting, { state: "done", answer: answerOf("first") });

        // A first copy that rolls back: the copy waiting behind it runs.
        const id2 = fresh();
        const inside2 = gate();
        const release2 = gate();
        const failing = store.run(id2, { expiresAt }, async (tx) => {
          await tx.query(`INSERT INTO ${effects} (id, note) VALUES ($1, 'rolled back')`, [id2]);
          inside2.open();
          await release2.promise;
          throw new Error("handler failed");
        });
        await inside2.promise;
        const behind = patient.run(id2, { expiresAt }, async (tx) => {
          await tx.query(`INSERT INTO ${effects} (id, note) VALUES ($1, 'second')`, [id2]);
          return answerOf("second");
        });
        await sleep(300);
        release2.open();
        await assert.rejects(failing, /handler failed/);
        assert.deepEqual(await behind, { state: "first", answer: answerOf("second") });
        assert.deepEqual(await effectsOf(db, effects, id2), ["second"]);
      } finally {
        await other?.end();
      }
    });

    test("sweeps delete rows past keepUntil (at most sweepLimit each) and keep the others until max(keepUntil, expiresAt)", TIMEOUT, async () => {
      let clock = Date.now();
      const { store, table } = await setup({ now: () => clock, sweepLimit: 2, sweepEveryMs: 1_000, onError: (e) => assert.fail(e) });
      const t = clock;
      const ids = { short: fresh(), window: fresh(), kept: fresh(), a: fresh(), b: fresh(), c: fresh() };
      const work = async () => answerOf("x");
      await store.run(ids.short, { expiresAt: t + 1_000, keepUntil: t + 2_000 }, work);
      await store.run(ids.window, { expiresAt: t + 30_000, keepUntil: t + 2_000 }, work); // its window outlasts keepUntil
      await store.run(ids.kept, { expiresAt: t + 1_000, keepUntil: t + 100_000 }, work);
      clock = t + 5_000;
      assert.deepEqual(await store.stats(), { stored: 3, expired: 1, answerBytes: 3 * JSON.stringify(answerOf("x")).length });
      assert.equal(await store.sweep(), 1);
      assert.deepEqual(await rowsOf(db, table, ids.short), []);
      assert.equal((await rowsOf(db, table, ids.window)).length, 1);
      // Still inside its window, the id is answered from its row, never run again.
      assert.deepEqual(await store.run(ids.window, { expiresAt: t + 30_000, keepUntil: t + 2_000 }, async () => assert.fail("ran twice")), {
        state: "done",
        answer: answerOf("x"),
      });
      clock = t + 40_000;
      assert.equal(await store.sweep(), 1);
      assert.deepEqual(await rowsOf(db, table, ids.window), []);
      assert.equal((await rowsOf(db, table, ids.kept)).length, 1);

      // At most sweepLimit rows per sweep, oldest first.
      for (const [key, keep] of [["a", 41_000], ["b", 42_000], ["c", 43_000]]) {
        await store.run(ids[key], { expiresAt: clock + 10, keepUntil: t + keep }, work);
      }
      clock = t + 60_000;
      assert.equal(await store.sweep(), 2);
      assert.deepEqual(await rowsOf(db, table, ids.a), []);
      assert.deepEqual(await rowsOf(db, table, ids.b), []);
      assert.equal((await rowsOf(db, table, ids.c)).length, 1);

      // run() sweeps by itself once sweepEveryMs has passed since its last sweep.
      clock = t + 70_000;
      await store.run(fresh(), { expiresAt: clock + 60_000 }, work);
      const deadline = Date.now() + 10_000;
      while ((await rowsOf(db, table, ids.c)).length !== 0) {
        assert.ok(Date.now() < deadline, "run() did not sweep");
        await sleep(20);
      }
      assert.equal((await rowsOf(db, table, ids.kept)).length, 1);
      await store.close();
    });

    test("a body past its window is answered from its row and never run; without a row it is seen", TIMEOUT, async () => {
      const { store } = await setup();
      let clock = Date.now();
      const late = postgresExactlyOnce(db, { table: store.table, now: () => clock });
      const id = fresh();
      const expiresAt = clock + 1_000;
      await late.run(id, { expiresAt, keepUntil: clock + 60_000 }, async () => answerOf("kept"));
      clock += 5_000;
      const never = async () => assert.fail("an expired body ran");
      assert.deepEqual(await late.run(id, { expiresAt, keepUntil: clock + 60_000 }, never), { state: "done", answer: answerOf("kept") });
      assert.deepEqual(await late.run(fresh(), { expiresAt, keepUntil: clock + 60_000 }, never), { state: "seen" });
    });

    test("tx refuses queries once its transaction has ended", TIMEOUT, async () => {
      const { store, effects } = await setup();
      let kept;
      await store.run(fresh(), { expiresAt: Date.now() + 60_000 }, async (tx) => {
        kept = tx;
        return answerOf("ok");
      });
      await assert.rejects(kept.query(`INSERT INTO ${effects} (id, note) VALUES ('late', 'late')`), /after the transaction ended/);
      assert.deepEqual(await effectsOf(db, effects, "late"), []);
    });

    test("ready() is idempotent, a table may be schema-qualified, close() leaves the db open", TIMEOUT, async () => {
      const { table } = names();
      const store = postgresExactlyOnce(db, { table: `public.${table}` });
      await Promise.all([store.ready(), store.ready(), postgresExactlyOnce(db, { table }).ready()]);
      await store.ready();
      const id = fresh();
      assert.equal((await store.run(id, { expiresAt: Date.now() + 60_000 }, async () => answerOf("q"))).state, "first");
      assert.equal((await rowsOf(db, table, id)).length, 1);
      await store.close();
      await assert.rejects(store.run(fresh(), { expiresAt: Date.now() + 60_000 }, async () => answerOf("x")), /closed/);
      assert.deepEqual((await db.query("SELECT 1 AS one")).rows, [{ one: 1 }]);
    });
  });
}

test("table names that are not plain SQL identifiers, bad options and a pg Client are refused", () => {
  const pool = new pg.Pool({ host: "127.0.0.1", port: 1 }); // never connected
  for (const table of ['x"; DROP TABLE users; --', "a b", "", "1abc", "a.b.c", '"quoted"', "x".repeat(51), "tëst"]) {
    assert.throws(() => postgresExactlyOnce(pool, { table }), /table must be an SQL identifier/, table);
  }
  assert.throws(() => postgresExactlyOnce(pool, { lockTimeoutMs: 0 }), /lockTimeoutMs/);
  assert.throws(() => postgresExactlyOnce(pool, { lockTimeoutMs: 1.5 }), /lockTimeoutMs/);
  assert.throws(() => postgresExactlyOnce(pool, { sweepLimit: 0 }), /sweepLimit/);
  assert.throws(() => postgresExactlyOnce(new pg.Client(), {}), /Pool or a PGlite/);
  assert.throws(() => postgresExactlyOnce({}, {}), /Pool or a PGlite/);
});

describe("postgresExactlyOnce with pg only", () => {
  test("the handler's queries run with the session's lock_timeout, not the claim's", TIMEOUT, async () => {
    const pool = new pg.Pool({ ...pgConfig(), max: 2, options: "-c lock_timeout=7s" });
    try {
      const store = postgresExactlyOnce(pool, { table: names().table, lockTimeoutMs: 250 });
      const outcome = await store.run(fresh(), { expiresAt: Date.now() + 60_000 }, async (tx) => (await tx.query("SHOW lock_timeout")).rows[0]);
      assert.deepEqual(outcome.answer, { lock_timeout: "7s" });
    } finally {
      await pool.end();
    }
  });

  test("a connection that fails throws, and the pool's next run claims the id cleanly", TIMEOUT, async () => {
    const pool = new pg.Pool({ ...pgConfig(), max: 1 });
    pool.on("error", () => {}); // an idle client's error: the test looks at the run's
    try {
      const { table, effects } = names();
      await pool.query(`CREATE TABLE ${effects} (id text NOT NULL, note text NOT NULL)`);
      const store = postgresExactlyOnce(pool, { table });
      const id = fresh();
      const expiresAt = Date.now() + 60_000;
      await assert.rejects(
        store.run(id, { expiresAt }, async (tx) => {
          await tx.query(`INSERT INTO ${effects} (id, note) VALUES ($1, 'lost')`, [id]);
          await tx.query("SELECT pg_terminate_backend(pg_backend_pid())"); // the server drops this connection
          return answerOf("never");
        }),
        /terminat|Connection/i,
      );
      // max: 1, so the next run proves the broken client was destroyed, not given back.
      assert.deepEqual(await effectsOf(pool, effects, id), []);
      assert.deepEqual(await store.run(id, { expiresAt }, async () => answerOf("after")), { state: "first", answer: answerOf("after") });
    } finally {
      await pool.end();
    }
  });

  test("a database nobody listens for throws (nothing committed, retry safe)", TIMEOUT, async () => {
    const probe = createServer();
    await new Promise((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address();
    await new Promise((resolve) => probe.close(resolve));
    const pool = new pg.Pool({ host: "127.0.0.1", port, user: "postgres", connectionTimeoutMillis: 2_000 });
    try {
      const store = postgresExactlyOnce(pool, { table: names().table });
      let ran = false;
      await assert.rejects(
        store.run(fresh(), { expiresAt: Date.now() + 60_000 }, async () => {
          ran = true;
        }),
        /ECONNREFUSED|connect/,
      );
      assert.equal(ran, false);
    } finally {
      await pool.end();
    }
  });
});

// ---- a process SIGKILLed between its work's INSERT and its COMMIT -----------------

async function killMidWork(spec) {
  const child = spawn(process.execPath, [new URL("./kill-child.mjs", import.meta.url).pathname, JSON.stringify(spec)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code)));
  const lines = createInterface({ input: child.stdout });
  let timer;
  try {
    await Promise.race([
      new Promise((resolve) => lines.on("line", (line) => line === "inserted" && resolve())),
      exited.then((how) => Promise.reject(new Error(`the child exited (${how}) before its work inserted`))),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("the child did not insert within 30 s")), 30_000))),
    ]);
  } finally {
    clearTimeout(timer);
  }
  child.kill("SIGKILL");
  assert.equal(await exited, "SIGKILL");
}

test("pg: a process killed after its work's INSERT and before COMMIT leaves nothing; the retry runs cleanly", TIMEOUT, async () => {
  const pool = new pg.Pool({ ...pgConfig(), max: 4 });
  try {
    const { table, effects } = names();
    await pool.query(`CREATE TABLE ${effects} (id text NOT NULL, note text NOT NULL)`);
    const store = postgresExactlyOnce(pool, { table });
    await store.ready();
    const id = fresh();
    await killMidWork({ kind: "pg", config: pgConfig(), table, effects, id });
    // The server ends the dead connection's backend, rolling its transaction back.
    const deadline = Date.now() + 15_000;
    while ((await pool.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'jazzrpc-kill-child'")).rows[0].n > 0) {
      assert.ok(Date.now() < deadline, "the killed process's backend is still there");
      await sleep(50);
    }
    assert.deepEqual(await rowsOf(pool, table, id), []);
    assert.deepEqual(await effectsOf(pool, effects, id), []);
    const retry = await store.run(id, { expiresAt: Date.now() + 60_000 }, async (tx) => {
      await tx.query(`INSERT INTO ${effects} (id, note) VALUES ($1, 'retried')`, [id]);
      return answerOf("retried");
    });
    assert.deepEqual(retry, { state: "first", answer: answerOf("retried") });
    assert.deepEqual(await effectsOf(pool, effects, id), ["retried"]);
  } finally {
    await pool.end();
  }
});

test("PGlite in a folder: a process killed after its work's INSERT and before COMMIT leaves nothing; reopened, the retry runs cleanly", TIMEOUT, async () => {
  const dir = tempFolder("jazzrpc-pglite-kill-");
  const { table, effects } = names();
  let db = await PGlite.create(dir);
  await db.query(`CREATE TABLE ${effects} (id text NOT NULL, note text NOT NULL)`);
  await postgresExactlyOnce(db, { table }).ready();
  await db.close();
  const id = fresh();
  await killMidWork({ kind: "pglite", dir, table, effects, id });
  db = await PGlite.create(dir);
  try {
    assert.deepEqual(await rowsOf(db, table, id), []);
    assert.deepEqual(await effectsOf(db, effects, id), []);
    const retry = await postgresExactlyOnce(db, { table }).run(id, { expiresAt: Date.now() + 60_000 }, async (tx) => {
      await tx.query(`INSERT INTO ${effects} (id, note) VALUES ($1, 'retried')`, [id]);
      return answerOf("retried");
    });
    assert.deepEqual(retry, { state: "first", answer: answerOf("retried") });
    assert.deepEqual(await effectsOf(db, effects, id), ["retried"]);
  } finally {
    await db.close();
  }
});
