// Secret files: `keygen --out` creates its file with mode 0600 (the mode given at
// creation, so no moment where the secret is readable by others), refuses to
// overwrite unless --force, and `keygen > file` warns; a --secret-file that other
// users can read is refused with the reason and the fix.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Account } from "../../js-glue/src/entries/node.js";

const BIN = fileURLToPath(new URL("../../js-glue/bin/jazzrpc.js", import.meta.url));
// Run under a given umask (through sh, as a shell user does); stdout to a pipe unless given.
const run = (args, { umask = "022", input = "", env = {}, stdout = "pipe" } = {}) => {
  const result = spawnSync("/bin/sh", ["-c", `umask ${umask}; exec "$0" "$@"`, process.execPath, BIN, ...args], {
    input,
    env: { ...process.env, JAZZRPC_SECRET: "", ...env },
    encoding: "utf8",
    stdio: ["pipe", stdout, "pipe"],
    timeout: 20_000,
  });
  return { code: result.status, out: result.stdout ?? "", err: result.stderr };
};
const modeOf = (path) => statSync(path).mode & 0o777;

let dir;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "jazzrpc-cli-secrets-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("keygen --out creates the file with mode 0600, prints only the public ids, and says to keep it out of git", () => {
  const file = join(dir, "worker.json");
  const made = run(["keygen", "--out", file], { umask: "000" }); // a umask that would leave 0666 open
  assert.equal(made.code, 0, made.err);
  assert.equal(modeOf(file), 0o600);
  const keys = JSON.parse(readFileSync(file, "utf8"));
  assert.deepEqual(Object.keys(keys), ["signerSecret", "signerID", "accountID"]);
  assert.match(keys.signerSecret, /^signerSecret_z/);
  assert.deepEqual(JSON.parse(made.out), { signerID: keys.signerID, accountID: keys.accountID });
  assert.ok(!made.out.includes(keys.signerSecret) && !made.err.includes(keys.signerSecret), "the secret goes to the file only");
  assert.match(made.err, /mode 0600.*keep it out of git/);
});

test("keygen --out gives the mode when it creates the file (a chmod after would widen what the umask narrowed)", () => {
  // 0600 less a umask of 0200 is 0400: the mode the file was created with. A file
  // created open and chmod-ed to 0600 afterwards would show 0600 here; one created
  // with the default mode, 0466.
  const file = join(dir, "created.json");
  const made = run(["keygen", "--out", file], { umask: "200" });
  assert.equal(made.code, 0, made.err);
  assert.equal(modeOf(file), 0o400);
  assert.match(JSON.parse(readFileSync(file, "utf8")).signerSecret, /^signerSecret_z/);
});

test("keygen --out keeps an existing file unless --force, which replaces it by a new 0600 file", () => {
  const file = join(dir, "existing.json");
  writeFileSync(file, "keep me\n", { mode: 0o644 });
  chmodSync(file, 0o644);
  const refused = run(["keygen", "--out", file]);
  assert.equal(refused.code, 2);
  assert.equal(refused.out, "");
  assert.match(refused.err, /exists: not overwritten \(pass --force to replace it\)/);
  assert.equal(readFileSync(file, "utf8"), "keep me\n");

  const forced = run(["keygen", "--out", file, "--force"]);
  assert.equal(forced.code, 0, forced.err);
  assert.equal(modeOf(file), 0o600, "the old file's 0644 is not kept");
  assert.match(JSON.parse(readFileSync(file, "utf8")).signerSecret, /^signerSecret_z/);
  assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith(".tmp")), [], "no temporary file left");

  // A symlink at the path is not followed: its target keeps its content.
  const target = join(dir, "target.txt");
  const link = join(dir, "link.json");
  writeFileSync(target, "target\n");
  symlinkSync(target, link);
  const throughLink = run(["keygen", "--out", link]);
  assert.equal(throughLink.code, 2);
  assert.equal(readFileSync(target, "utf8"), "target\n");
  const noFolder = run(["keygen", "--out", join(dir, "nowhere", "x.json")]);
  assert.equal(noFolder.code, 1);
  assert.match(noFolder.err, /cannot create/);
  assert.equal(run(["keygen", "--force"]).code, 2, "--force without --out");
});

test("keygen > file warns on stderr and names --out; keygen into a pipe does not", () => {
  const file = join(dir, "redirected.json");
  const fd = openSync(file, "w", 0o644);
  let redirected;
  try {
    redirected = run(["keygen"], { stdout: fd });
  } finally {
    closeSync(fd);
  }
  assert.equal(redirected.code, 0, redirected.err);
  assert.match(JSON.parse(readFileSync(file, "utf8")).signerSecret, /^signerSecret_z/, "still written, as before");
  assert.match(redirected.err, /warning: stdout is a file \(mode 0644, readable by other users\)/);
  assert.match(redirected.err, /jazzrpc keygen --out worker\.json.*0600.*out of git/s);
  const piped = run(["keygen"]);
  assert.equal(piped.code, 0);
  assert.equal(piped.err, "");
  assert.match(JSON.parse(piped.out).signerSecret, /^signerSecret_z/);
});

test("a --secret-file other users can read is refused (exit 2) with why and chmod 600; 0600 and 0400 are used, a keygen --out file too", () => {
  const keysFile = join(dir, "client.json");
  assert.equal(run(["keygen", "--out", keysFile]).code, 0);
  const { signerSecret, signerID } = JSON.parse(readFileSync(keysFile, "utf8"));
  const secretFile = join(dir, "secret");
  writeFileSync(secretFile, signerSecret + "\n");
  const sign = (file) => run(["sign", "--secret-file", file, "--now", "1700000000000"], { input: "[]" });
  const request = (file) => run(["request", "--url", "/api/book", "--worker", Account.create().id, "--value", "{}", "--secret-file", file]);
  for (const mode of [0o644, 0o640, 0o604, 0o660, 0o606]) {
    chmodSync(secretFile, mode);
    for (const result of [sign(secretFile), request(secretFile)]) {
      assert.equal(result.code, 2, `mode ${mode.toString(8)}`);
      assert.equal(result.out, "");
      assert.match(result.err, new RegExp(`has mode 0${mode.toString(8)}: other users can read it, so the secret in it is not private`));
      assert.match(result.err, /Run `chmod 600 .*secret`/);
      assert.ok(!result.err.includes(signerSecret));
    }
  }
  for (const mode of [0o600, 0o400]) {
    chmodSync(secretFile, mode);
    const signed = sign(secretFile);
    assert.equal(signed.code, 0, `mode ${mode.toString(8)}: ${signed.err}`);
    assert.equal(JSON.parse(signed.out).signerID, signerID);
  }
  const fromKeys = request(keysFile);
  assert.equal(fromKeys.code, 0, fromKeys.err);
  assert.equal(JSON.parse(fromKeys.out).signerID, signerID);
});
