// The command line as a user runs it: --version, keygen's account id, canonical and
// hash up to the core's depth cap, and sign with the secret from the environment or
// a file, never from argv.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../js-glue/bin/jazzrpc.js", import.meta.url));
const run = (args, { input = "", env = {} } = {}) => {
  const result = spawnSync(process.execPath, [BIN, ...args], { input, env: { ...process.env, JAZZRPC_SECRET: "", ...env }, encoding: "utf8" });
  return { code: result.status, out: result.stdout.trim(), err: result.stderr };
};
const nested = (depth) => "[".repeat(depth) + "0" + "]".repeat(depth);

test("--version prints the package's version", () => {
  const { version } = JSON.parse(readFileSync(new URL("../../js-glue/package.json", import.meta.url), "utf8"));
  assert.deepEqual(run(["--version"]), { code: 0, out: version, err: "" });
});

test("keygen prints signerSecret, signerID and the account id", () => {
  const { code, out } = run(["keygen"]);
  assert.equal(code, 0);
  const keys = JSON.parse(out);
  assert.deepEqual(Object.keys(keys), ["signerSecret", "signerID", "accountID"]);
  assert.equal(keys.accountID, "co_z" + keys.signerID.slice("signer_z".length));
});

test("canonical and hash read a 400-deep value, as JSON.parse and cojson do; --max-depth limits it", () => {
  const text = nested(400);
  assert.equal(run(["canonical"], { input: text }).out, JSON.stringify(JSON.parse(text)));
  assert.match(run(["hash"], { input: text }).out, /^hash_z/);
  const limited = run(["canonical", "--max-depth", "10"], { input: text });
  assert.equal(limited.code, 1);
  assert.match(limited.err, /ERR_TOO_DEEP/);
  assert.equal(run(["hash", "--max-depth", "0"], { input: "[]" }).code, 2);
});

test("sign takes the secret from JAZZRPC_SECRET or --secret-file, and refuses --secret", () => {
  const { signerSecret, signerID } = JSON.parse(run(["keygen"]).out);
  const fromEnv = run(["sign", "--now", "1700000000000"], { input: "[]", env: { JAZZRPC_SECRET: signerSecret } });
  assert.equal(fromEnv.code, 0, fromEnv.err);
  assert.equal(JSON.parse(fromEnv.out).signerID, signerID);
  const dir = mkdtempSync(join(tmpdir(), "jazzrpc-cli-"));
  try {
    writeFileSync(join(dir, "secret"), signerSecret + "\n", { mode: 0o600 });
    const fromFile = run(["sign", "--secret-file", join(dir, "secret"), "--now", "1700000000000"], { input: "[]" });
    assert.equal(fromFile.out, fromEnv.out, "the same body from either source");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const argv = run(["sign", "--secret", signerSecret], { input: "[]" });
  assert.equal(argv.code, 2);
  assert.match(argv.err, /JAZZRPC_SECRET/);
  assert.equal(argv.out, "");
  const none = run(["sign"], { input: "[]" });
  assert.equal(none.code, 2);
  assert.match(none.err, /JAZZRPC_SECRET or pass --secret-file/);
});

test("no command: the usage on stderr and exit 2; an unknown command: the same; --help and help: the usage on stdout, exit 0", () => {
  const none = run([]);
  assert.equal(none.code, 2);
  assert.equal(none.out, "");
  assert.match(none.err, /a command is required/);
  assert.match(none.err, /Usage: jazzrpc <command>/);
  const unknown = run(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.out, "");
  assert.match(unknown.err, /unknown command "frobnicate"[\s\S]*Usage: jazzrpc <command>/);
  for (const args of [["--help"], ["help"], ["-h"], ["request", "--help"]]) {
    const help = run(args);
    assert.equal(help.code, 0, args.join(" "));
    assert.match(help.out, /^Usage: jazzrpc <command>/, args.join(" "));
    assert.equal(help.err, "", args.join(" "));
  }
  for (const command of ["keygen", "request", "verify-request", "sign", "canonical", "hash"]) {
    assert.match(run(["--help"]).out, new RegExp(`^  ${command}\\b`, "m"), `--help names ${command}`);
  }
  const badOption = run(["keygen", "--nope"]);
  assert.equal(badOption.code, 2);
  assert.match(badOption.err, /--nope/);
});
