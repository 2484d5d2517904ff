// Runs a Worker locally in workerd, offline: bundles it as `wrangler deploy` would
// (`wrangler deploy --dry-run --outdir`), then serves that bundle with Miniflare on
// 127.0.0.1, with the bindings and Durable Object classes its wrangler config declares.
// Used by `make demo` and by the workerd tests, so both run what would be deployed.
import { spawn } from "node:child_process";
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

// Offline, quiet: no request for Cloudflare's `cf` object, no metrics, no banner.
const OFFLINE_ENV = {
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_HIDE_BANNER: "true",
};
Object.assign(process.env, OFFLINE_ENV);

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const EXAMPLE_CONFIG = join(ROOT, "workers-example/wrangler.jsonc");
const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");

/**
 * Bundles the Worker of a wrangler config into outdir, as `wrangler deploy` would upload it.
 * @returns {Promise<{ outdir: string, scriptPath: string, report: string, files: { name: string, bytes: number, gzipBytes: number }[] }>}
 */
export async function bundleWorker(configPath, outdir) {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const output = await run(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", outdir, "--config", configPath], {
    cwd: dirname(configPath),
  });
  const report = output.match(/Total Upload:.*/)?.[0] ?? "";
  const files = [];
  for (const name of (await readdir(outdir)).sort()) {
    if (!/\.(js|mjs|wasm)$/.test(name)) continue;
    const bytes = await readFile(join(outdir, name));
    files.push({ name, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length });
  }
  const main = files.find((f) => /\.m?js$/.test(f.name));
  if (!main) throw new Error(`wrangler produced no script in ${outdir}:\n${output}`);
  return { outdir, scriptPath: join(outdir, main.name), report, files };
}

/**
 * Serves a bundle in workerd through Miniflare, with the bindings of its wrangler config.
 * @param {{ configPath: string, bundle: { scriptPath: string }, bindings?: Record<string, unknown>,
 *           persistDir?: string, port?: number }} options
 * @returns {Promise<{ mf: import("miniflare").Miniflare, url: URL, dispose: () => Promise<void> }>}
 */
export async function startLocal({ configPath, bundle, bindings = {}, persistDir, port = 0 }) {
  const [{ Miniflare }, { unstable_getMiniflareWorkerOptions }] = await Promise.all([import("miniflare"), import("wrangler")]);
  const { modulesRules: _rules, ...workerOptions } = unstable_getMiniflareWorkerOptions(configPath).workerOptions;
  const mf = new Miniflare({
    ...workerOptions,
    // The bundle as a user would serve it: its entry, with the modules it imports
    // discovered by Miniflare and the wasm under a CompiledWasm rule.
    scriptPath: bundle.scriptPath,
    modules: true,
    modulesRoot: bundle.outdir,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    bindings: { ...workerOptions.bindings, ...bindings },
    durableObjectsPersist: persistDir ?? false,
    host: "127.0.0.1",
    port,
    cf: false,
  });
  const url = await mf.ready;
  return { mf, url, dispose: () => mf.dispose() };
}

/** The sizes of a bundle: every file, and the wasm plus the jazzrpc glue gzipped. */
export function describeBundle(bundle) {
  const lines = bundle.files.map((f) => `  ${f.name}: ${kb(f.bytes)} raw, ${kb(f.gzipBytes)} gzipped`);
  return [`wrangler: ${bundle.report}`, ...lines].join("\n");
}

export const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

export async function exists(path) {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function run(command, args, options) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { ...options, env: { ...process.env, ...OFFLINE_ENV, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolvePromise(output) : reject(new Error(`${args.slice(1, 3).join(" ")} failed (${code}):\n${output}`))));
  });
}
