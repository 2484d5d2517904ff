// local.js: serves the bundle `wrangler deploy --dry-run --outdir dist` made, in workerd
// (Miniflare), offline, on 127.0.0.1. Its modules are found from the script and the
// CompiledWasm rule: no module list.
import { Miniflare } from "miniflare";

const mf = new Miniflare({
  scriptPath: "dist/worker.js",
  modulesRoot: "dist",
  modules: true,
  modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
  compatibilityDate: "2026-04-26",
  durableObjects: { REPLAY_GUARD: { className: "ReplayGuardDurableObject", useSQLite: true } },
  bindings: { JAZZ_WORKER_ACCOUNT: process.env.JAZZ_WORKER_ACCOUNT, JAZZ_WORKER_SECRET: process.env.JAZZ_WORKER_SECRET },
  host: "127.0.0.1",
  port: 0,
  cf: false,
});
console.log(`listening on ${await mf.ready}`);
process.on("SIGTERM", () => mf.dispose().then(() => process.exit(0)));
