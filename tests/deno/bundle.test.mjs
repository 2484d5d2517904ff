// `deno bundle` of a program that imports jazzrpc: the bundle runs on its own,
// from another folder, with no permissions (the wasm is inside it).
const deno = Deno.execPath();

Deno.test("a Deno program importing jazzrpc bundles with deno bundle and runs from the bundle", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = `${dir}/app.bundle.js`;
    const bundle = await new Deno.Command(deno, {
      args: ["bundle", "--unstable-raw-imports", "-o", out, new URL("./bundle-app.mjs", import.meta.url).pathname],
      env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    }).output();
    if (!bundle.success) throw new Error(`deno bundle failed: ${new TextDecoder().decode(bundle.stderr)}`);
    const run = await new Deno.Command(deno, { args: ["run", "--no-prompt", out], cwd: dir, env: { NO_COLOR: "1" } }).output();
    const stdout = new TextDecoder().decode(run.stdout).trim();
    if (!run.success) throw new Error(`the bundle failed: ${new TextDecoder().decode(run.stderr)}`);
    if (stdout !== '{"ticketId":"t-e1"}') throw new Error(`unexpected output: ${stdout}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
