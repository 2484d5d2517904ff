// make dev: `wrangler dev` serving the example Worker on 127.0.0.1 (offline) until
// interrupted. The first run writes workers-example/.dev.vars with a new worker
// account (JAZZ_WORKER_SECRET, JAZZ_WORKER_ACCOUNT); the client script reads it.
//   node workers-example/scripts/dev.mjs [port]
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Account } from "jazzrpc";
import { ROOT, exists } from "./local.mjs";

const port = Number(process.argv[2] ?? process.env.PORT ?? 8787);
const exampleDir = join(ROOT, "workers-example");
const devVars = join(exampleDir, ".dev.vars");

if (!(await exists(devVars))) {
  const account = Account.create();
  await writeFile(devVars, `JAZZ_WORKER_SECRET=${account.secret}\nJAZZ_WORKER_ACCOUNT=${account.id}\n`, { mode: 0o600 });
  console.log(`dev: wrote ${devVars} (a new worker account; never commit it)`);
}
const workerId = (await readFile(devVars, "utf8")).match(/^JAZZ_WORKER_ACCOUNT\s*=\s*"?([^"\s]+)/m)?.[1];
console.log(`dev: worker account ${workerId}`);
console.log(`dev: try it from another shell:  node workers-example/client.mjs --url http://127.0.0.1:${port} --count 4\n`);

const wrangler = spawn(
  process.execPath,
  [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "dev", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false"],
  { cwd: exampleDir, stdio: "inherit" },
);
// Ctrl-C or a kill stops wrangler too; one that does not stop within 5 s is killed.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    wrangler.kill(signal);
    setTimeout(() => wrangler.kill("SIGKILL"), 5_000).unref();
  });
}
wrangler.on("exit", (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
