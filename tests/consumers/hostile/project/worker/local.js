// local.js: serves the bundle `wrangler deploy --dry-run --outdir dist` made, in workerd
// (Miniflare), offline, on 127.0.0.1, with what wrangler.jsonc declares (compatibility
// date and flags, Durable Objects, vars), as `wrangler dev` would. Its modules are found
// from the script and the CompiledWasm rule: no module list.
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";

const { workerOptions } = unstable_getMiniflareWorkerOptions("wrangler.jsonc");
const { modulesRules: _rules, modules: _modules, ...options } = workerOptions;
const mf = new Miniflare({
  ...options,
  scriptPath: "dist/worker.js",
  modulesRoot: "dist",
  modules: true,
  modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
  // the secrets, as .dev.vars would give them
  bindings: { ...options.bindings, JAZZ_WORKER_ACCOUNT: process.env.JAZZ_WORKER_ACCOUNT, JAZZ_WORKER_SECRET: process.env.JAZZ_WORKER_SECRET },
  host: "127.0.0.1",
  port: 0,
  cf: false,
});
console.log(`listening on ${await mf.ready}`);
process.on("SIGTERM", () => mf.dispose().then(() => process.exit(0)));
