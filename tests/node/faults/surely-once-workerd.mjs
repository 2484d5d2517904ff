// The Workers process of the surely-once fault suite: workers-example's bundle (bookings
// with exactlyOnce(ctx) in each event's Durable Object) served by Miniflare/workerd on
// PORT, its Durable Objects' storage in PERSIST_DIR, so that a restart finds it again.
// The test SIGKILLs this process's group (Node and workerd) and starts it again.
import { EXAMPLE_CONFIG, startLocal } from "../../../workers-example/scripts/local.mjs";

const { PORT, PERSIST_DIR, BUNDLE_DIR, SCRIPT_PATH, WORKER_SECRET, WORKER_ACCOUNT, CAPACITY } = process.env;
await startLocal({
  configPath: EXAMPLE_CONFIG,
  bundle: { outdir: BUNDLE_DIR, scriptPath: SCRIPT_PATH },
  persistDir: PERSIST_DIR,
  port: Number(PORT),
  bindings: { JAZZ_WORKER_SECRET: WORKER_SECRET, JAZZ_WORKER_ACCOUNT: WORKER_ACCOUNT, EVENTS: { concert: { capacity: Number(CAPACITY) } } },
});
console.log("ready");
