// A process killed in the middle of a postgresExactlyOnce run: it claims an id, its
// work writes a row through tx, prints "inserted" and then holds the transaction open
// until the test SIGKILLs it. argv[2]: JSON { kind: "pg" | "pglite", config | dir, table, effects, id }.
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { postgresExactlyOnce } from "../../../js-glue/src/entries/node.js";

const { kind, config, dir, table, effects, id } = JSON.parse(process.argv[2]);
const db = kind === "pg" ? new pg.Pool({ ...config, application_name: "jazzrpc-kill-child", max: 2 }) : await PGlite.create(dir);
const store = postgresExactlyOnce(db, { table });
setInterval(() => {}, 60_000); // nothing else may keep PGlite's process alive while it waits to be killed
await store.run(id, { expiresAt: Date.now() + 60_000 }, async (tx) => {
  await tx.query(`INSERT INTO ${effects} (id, note) VALUES ($1, 'killed child')`, [id]);
  process.stdout.write("inserted\n");
  await new Promise(() => {}); // never commits: the test kills this process here
});
process.stdout.write("committed\n"); // never reached
