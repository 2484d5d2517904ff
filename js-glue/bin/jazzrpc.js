#!/usr/bin/env node
// jazzrpc command line: keys, canonical JSON, hashes, signed request bodies.
// The CLI is a host: it may read the clock (the core never does).
//
// `request` and `verify-request --url --worker` go through the package's own route
// (experimental_defineRequest): the route normalises the url and the worker id as
// a server's route does, and verify-request asks route.verify(), the checks
// handle() makes before it claims an id, so its status and message are the server's.
import { closeSync, constants as fsConstants, fstatSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, fsyncSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { core, Account, JazzRpcError, experimental_defineRequest } from "../src/entries/node.js";
import { DEFAULTS, checkOptions } from "../src/rpc/options.js";
import { randomNonce } from "../src/rpc/nonce.js";

const HARD_MAX_DEPTH = 1024; // the core's hard cap on nesting
const VERSION = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;

const USAGE = `Usage: jazzrpc <command> [options]

Commands:
  keygen [--out <file> [--force]]
                              a new account {"signerSecret","signerID","accountID"}. With --out, written
                              to <file>, created with mode 0600 (an existing file is kept unless --force),
                              and only {"signerID","accountID"} printed. Keep the file out of git.
  request --url <path> --worker <co_z…> [--value <json>] [--now <ms>]
          [--secret-stdin | --secret-file <path>]
                              print the signed body a route (defineRequest({ url, workerId })) accepts,
                              for value (a JSON object; from stdin when --value is absent):
                                jazzrpc request --url /api/book --worker co_z… --value '{"eventId":"x"}' \\
                                  | curl --data-binary @- -H 'Content-Type: application/json' http://host/api/book
                              signed by the client account whose signerSecret comes from JAZZRPC_SECRET,
                              the first line of stdin (--secret-stdin) or --secret-file (mode 0600; a
                              keygen --out file works), never from argv. --now: its createdAt (ms).
  verify-request --url <path> --worker <co_z…> [--now <ms>] [--window <ms>] [--skew <ms>]
                 [--max-depth <n>] [--max-bytes <n>]
                              read a request body on stdin and run the checks a route's handle() makes
                              before its replay guard (size, JSON, signature, id, window, route, worker);
                              print {"ok","status","message","code","id","signerID","madeBy","checked":"route"}
                              with the status and message the server answers; exit 0 when it would accept
                              the body, 1 when not. Whether the server already handled the id, and its
                              schema, are the server's to know. Defaults are a route's: now = the clock,
                              window ${DEFAULTS.window}, skew ${DEFAULTS.skew}, max-depth ${DEFAULTS.maxDepth}, max-bytes ${DEFAULTS.maxBodyBytes}.
  verify-request [--now <ms>] [--window <ms>] [--skew <ms>]
                              without --url and --worker: the signature and time window only (a raw
                              envelope, as sign makes, or a jazz-tools body with its creator binding);
                              prints "checked":"signature" and says so on stderr. Not a route's answer.
  sign [--secret-file <path>] [--id <co_z…>] [--now <ms>]
                              sign a raw envelope: read contentPieces (a JSON array, or {contentPieces, id?,
                              createdAt?}) on stdin, print {contentPieces,id,createdAt,authToken,signerID}.
                              A jazzrpc route refuses such a body: make route bodies with \`request\`.
                              The secret comes from JAZZRPC_SECRET or --secret-file, never argv.
  canonical [--max-depth <n>] read JSON on stdin, print its canonical text (cojson's stableStringify);
                              nesting up to --max-depth (default ${HARD_MAX_DEPTH}, the core's limit)
  hash [--max-depth <n>]      read JSON on stdin, print its hash_z…
  help, --help                print this text
  --version                   print the version

Exit status: 0 done (verify-request: the body is accepted), 1 refused or failed, 2 usage error.
`;

class UsageError extends Error {}

const SECRET_OPTIONS = { secret: { type: "string" }, "secret-file": { type: "string" } };
const OPTIONS = {
  keygen: { out: { type: "string" }, force: { type: "boolean" } },
  canonical: { "max-depth": { type: "string" } },
  hash: { "max-depth": { type: "string" } },
  sign: { ...SECRET_OPTIONS, id: { type: "string" }, now: { type: "string" } },
  request: {
    ...SECRET_OPTIONS,
    "secret-stdin": { type: "boolean" },
    url: { type: "string" },
    worker: { type: "string" },
    value: { type: "string" },
    now: { type: "string" },
  },
  "verify-request": {
    url: { type: "string" },
    worker: { type: "string" },
    now: { type: "string" },
    window: { type: "string" },
    skew: { type: "string" },
    "max-depth": { type: "string" },
    "max-bytes": { type: "string" },
  },
};

let stdinRead = false;
async function readStdin() {
  if (stdinRead) throw new Error("stdin read twice"); // a bug of this file, not the user's
  stdinRead = true;
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

function number(value, name, fallback) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number of milliseconds, got ${JSON.stringify(value)}`);
  return n;
}

function positiveInteger(value, name) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

// co_z + the shortHash of the canonical {contentPieces, createdAt}.
function deriveId(contentPieces, createdAt) {
  return core.shortHash(JSON.stringify({ contentPieces, createdAt })).replace(/^shortHash_z/, "co_z");
}

function readSignInput(bytes) {
  let input;
  try {
    input = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new Error(`stdin is not JSON: ${error.message}`);
  }
  if (Array.isArray(input)) return { contentPieces: input };
  if (input !== null && typeof input === "object" && Array.isArray(input.contentPieces)) return input;
  throw new Error("stdin must hold a JSON array of contentPieces, or an object {contentPieces, id?, createdAt?}");
}

// A content piece of a jazzrpc route message ({"jazzrpc":"request", url, workerId, nonce, value}).
const isRouteMessage = (contentPieces) =>
  contentPieces.some((p) => p !== null && typeof p === "object" && !Array.isArray(p) && Object.hasOwn(p, "jazzrpc"));

function maxDepth(value) {
  if (value === undefined) return HARD_MAX_DEPTH;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > HARD_MAX_DEPTH) throw new UsageError(`--max-depth must be an integer from 1 to ${HARD_MAX_DEPTH}, got ${JSON.stringify(value)}`);
  return n;
}

// ---- secrets ----

const modeText = (mode) => "0" + (mode & 0o777).toString(8).padStart(3, "0");

// A secret file's text, read through one descriptor whose permissions are checked
// first (no window between the check and the read). Like ssh with a private key, a
// regular file that other users may read (or write) is refused: the secret in it is
// not secret any more, and signing with it would hide that.
function readSecretFile(path) {
  let fd;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | (fsConstants.O_NOCTTY ?? 0));
  } catch (error) {
    throw new UsageError(`cannot read --secret-file: ${error.message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isFile() && process.platform !== "win32" && (stat.mode & 0o077) !== 0) {
      throw new UsageError(
        `--secret-file ${path} has mode ${modeText(stat.mode)}: other users can read it, so the secret in it is not private.\n` +
          `Refused. Run \`chmod 600 ${path}\` (and check who could read it), then try again.`,
      );
    }
    return readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
}

// The secret in a text: a keygen file's JSON ({"signerSecret", …}), or its first line.
function secretOfText(text, source) {
  const trimmed = text.trim();
  let secret = trimmed.split(/\r?\n/)[0].trim();
  if (trimmed.startsWith("{")) {
    let parsed;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new UsageError(`${source} starts with "{" but is not JSON`);
    }
    if (typeof parsed?.signerSecret !== "string") throw new UsageError(`${source} is JSON without a "signerSecret" string`);
    secret = parsed.signerSecret;
  }
  if (secret === "") throw new UsageError(`${source} is empty`);
  try {
    return Account.fromSecret(secret).secret; // "sealerSecret_z…/signerSecret_z…" (jazz) gives its signer part
  } catch (error) {
    const detail = error instanceof JazzRpcError ? `${error.message} (${error.code})` : error.message;
    throw new Error(`${source} does not hold a valid "signerSecret_z…": ${detail}`);
  }
}

// The signing secret: JAZZRPC_SECRET, --secret-file or (request only) the first line
// of stdin. Never argv, where it would land in shell history and in every process listing.
async function signingSecret(values, command) {
  if (values.secret !== undefined) {
    throw new UsageError("--secret is not accepted (argv lands in shell history and process listings): set JAZZRPC_SECRET, or pass --secret-file <path>" + (command === "request" ? " or --secret-stdin" : ""));
  }
  if (values["secret-file"] !== undefined && values["secret-stdin"]) throw new UsageError("pass one of --secret-file and --secret-stdin");
  if (values["secret-file"] !== undefined) return secretOfText(readSecretFile(values["secret-file"]), `--secret-file ${values["secret-file"]}`);
  if (values["secret-stdin"]) return secretOfText(new TextDecoder().decode(await readStdin()), "stdin (--secret-stdin)");
  const fromEnv = process.env.JAZZRPC_SECRET;
  if (fromEnv && fromEnv.trim() !== "") return secretOfText(fromEnv, "JAZZRPC_SECRET");
  throw new UsageError(
    `${command} needs the signerSecret: set JAZZRPC_SECRET or pass --secret-file <path>` + (command === "request" ? " or --secret-stdin" : ""),
  );
}

// ---- files ----

// Writes text to a new file created with mode 0600 (O_CREAT | O_EXCL: never through
// an existing file or symlink, never a chmod after). With force, an existing file is
// replaced by renaming a new 0600 file over it, so that no moment exists where the
// secret sits in a file with the old file's mode.
function writePrivateFile(path, text, force) {
  const flags = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0);
  const target = force ? join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`) : path;
  let fd;
  try {
    fd = openSync(target, flags, 0o600);
  } catch (error) {
    if (error.code === "EEXIST" && !force) throw new UsageError(`${path} exists: not overwritten (pass --force to replace it)`);
    throw new Error(`cannot create ${target}: ${error.message}`);
  }
  try {
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(target);
    throw new Error(`cannot write ${target}: ${error.message}`);
  }
  closeSync(fd);
  if (force) {
    try {
      renameSync(target, path);
    } catch (error) {
      unlinkSync(target);
      throw new Error(`cannot replace ${path}: ${error.message}`);
    }
  }
}

/** The mode of what stdout is, when it is a regular file (`> worker.json`); else null. */
function stdoutFileMode() {
  try {
    const stat = fstatSync(1);
    return stat.isFile() ? stat.mode & 0o777 : null;
  } catch {
    return null;
  }
}

// ---- routes ----

// The route a server defines: its path (the url's pathname, as route.js reads it)
// and its worker id, checked as defineRequest checks them.
function routeOf(values, command) {
  if (values.url === undefined || values.worker === undefined) {
    throw new UsageError(`${command} needs both --url <the route's url> and --worker <the route's workerId, co_z…>`);
  }
  try {
    return experimental_defineRequest({ url: values.url, workerId: values.worker, request: {}, response: {} });
  } catch (error) {
    throw new UsageError(`--url/--worker: ${error.message}`);
  }
}

function parseValue(text, source) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source} is not JSON: ${error.message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new UsageError(`${source} must be a JSON object (a route's request is an object of fields), got ${JSON.stringify(value)}`);
  }
  return value;
}

// The nonce route.js's send() puts in a request: "z" + base58 of 16 random bytes.

async function verifyAgainstRoute(values, body) {
  const route = routeOf(values, "verify-request");
  const now = number(values.now, "now", Date.now());
  const limits = {
    window: number(values.window, "window", DEFAULTS.window),
    skew: number(values.skew, "skew", DEFAULTS.skew),
    maxDepth: positiveInteger(values["max-depth"], "max-depth") ?? DEFAULTS.maxDepth,
    maxBodyBytes: positiveInteger(values["max-bytes"], "max-bytes") ?? DEFAULTS.maxBodyBytes,
  };
  try {
    checkOptions(limits); // the route's own checks of its options
  } catch (error) {
    throw new UsageError(error.message);
  }
  let internal = null;
  // answerTtlMs 0: a body past its window is refused, as a server with no stored answer of it
  // refuses it (the command line cannot know the server's stored answers).
  const options = { ...limits, answerTtlMs: 0, now: () => now, onError: (error) => (internal = error) };
  const request = new Request(new URL(route.path, "http://127.0.0.1"), {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body,
  });
  const result = await route.verify(request, options); // never rejects
  // The core's verdict, for the stable code and the ids; the answer is verify()'s.
  const verdict = core.verifyMessage(body, { kind: "request", url: route.path, workerId: route.workerId }, {
    now, window: limits.window, skew: limits.skew, maxBytes: limits.maxBodyBytes, maxDepth: limits.maxDepth,
  });
  let status = 200;
  let message = "OK";
  let reason;
  if (!result.ok) {
    status = result.response.status;
    const answer = await result.response.json().catch(() => ({}));
    message = String(answer?.message ?? "");
    reason = answer?.reason;
  }
  if (internal) process.stderr.write(`jazzrpc verify-request: ${internal.message}\n`);
  const line = {
    ok: result.ok,
    status,
    message,
    code: reason ?? (verdict.ok ? (result.ok ? "OK" : null) : verdict.code),
    id: result.ok ? result.id : verdict.id,
    signerID: verdict.signerID,
    madeBy: result.ok ? result.madeBy.id : null,
    checked: "route",
  };
  return { output: JSON.stringify(line), exitCode: result.ok ? 0 : 1 };
}

const commands = {
  keygen(values) {
    if (values.force && values.out === undefined) throw new UsageError("--force goes with --out <file>");
    const { signerSecret, signerID } = core.signKeypair();
    const keys = { signerSecret, signerID, accountID: core.accountId(signerID) };
    if (values.out === undefined) {
      const mode = stdoutFileMode();
      if (mode !== null) {
        process.stderr.write(
          `jazzrpc keygen: warning: stdout is a file (mode ${modeText(mode)}${mode & 0o077 ? ", readable by other users" : ""}) and the signerSecret goes into it.\n` +
            "  Use `jazzrpc keygen --out worker.json`, which creates the file with mode 0600, and keep it out of git.\n",
        );
      }
      return JSON.stringify(keys);
    }
    writePrivateFile(values.out, JSON.stringify(keys) + "\n", values.force === true);
    process.stderr.write(`jazzrpc keygen: wrote ${values.out} (mode 0600): it holds the signerSecret; keep it out of git.\n`);
    return JSON.stringify({ signerID: keys.signerID, accountID: keys.accountID });
  },

  async canonical(values) {
    return core.canonicalize(await readStdin(), { maxDepth: maxDepth(values["max-depth"]) });
  },

  async hash(values) {
    return core.secureHash(await readStdin(), { maxDepth: maxDepth(values["max-depth"]) });
  },

  async sign(values) {
    const secret = await signingSecret(values, "sign");
    const { id, now } = values;
    const input = readSignInput(await readStdin());
    const contentPieces = input.contentPieces;
    if (isRouteMessage(contentPieces)) {
      throw new UsageError(
        "these contentPieces are a jazzrpc route message: sign makes raw envelopes, whose id a route refuses.\n" +
          "Make a route's body with: jazzrpc request --url <path> --worker <co_z…> --value '<json>'",
      );
    }
    const createdAt = number(now, "now", input.createdAt ?? Date.now());
    return core.signEnvelope({ contentPieces, id: id ?? input.id ?? deriveId(contentPieces, createdAt), createdAt }, secret);
  },

  // The body send() would post for value: route.js's #preparePlainRequest spec,
  // signed by the client account of the secret.
  async request(values) {
    const route = routeOf(values, "request");
    if (values.value === undefined && values["secret-stdin"]) throw new UsageError("with --secret-stdin, give the value with --value '<json>'");
    const createdAt = number(values.now, "now", Date.now());
    const secret = await signingSecret(values, "request");
    const value = values.value !== undefined
      ? parseValue(values.value, "--value")
      : parseValue(new TextDecoder().decode(await readStdin()), "the value on stdin");
    return core.signMessage(secret, {
      kind: "request",
      url: route.path,
      workerId: route.workerId,
      nonce: randomNonce(),
      value,
      createdAt,
    });
  },

  async "verify-request"(values) {
    const routeMode = values.url !== undefined || values.worker !== undefined;
    if (!routeMode) {
      for (const name of ["max-depth", "max-bytes"]) {
        if (values[name] !== undefined) throw new UsageError(`--${name} goes with --url and --worker`);
      }
    }
    const body = await readStdin();
    if (routeMode) return verifyAgainstRoute(values, body);
    const options = {
      now: number(values.now, "now", Date.now()),
      window: number(values.window, "window", 60000),
      skew: number(values.skew, "skew", 10000),
    };
    // A jazz-tools body (CoJSON pieces with headers) must also be signed by the
    // account that created the request; other bodies are checked as envelopes.
    const v = isJazzToolsBody(body) ? core.verifyJazzMessage(body, options) : core.verifyEnvelope(body, options);
    process.stderr.write(
      "jazzrpc verify-request: checked the signature and time window only (no route, no worker): " +
        "a route may still refuse this body. Pass --url and --worker for a route's checks.\n",
    );
    const line = { ok: v.ok, code: v.code, status: v.status, message: v.message, id: v.id, signerID: v.signerID, checked: "signature" };
    return { output: JSON.stringify(line), exitCode: v.ok ? 0 : 1 };
  },
};

function isJazzToolsBody(bytes) {
  try {
    const { contentPieces } = JSON.parse(new TextDecoder().decode(bytes));
    return Array.isArray(contentPieces) && contentPieces.some((p) => p !== null && typeof p === "object" && "header" in p);
  } catch {
    return false;
  }
}

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === undefined) {
    process.stderr.write(`jazzrpc: a command is required\n\n${USAGE}`);
    return 2;
  }
  if (command === "help" || command === "--help" || command === "-h" || rest.includes("--help") || rest.includes("-h")) {
    if (command !== "help" && command !== "--help" && command !== "-h" && !Object.hasOwn(commands, command)) {
      process.stderr.write(`jazzrpc: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 2;
    }
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === "--version" || command === "-v" || command === "version") {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (!Object.hasOwn(commands, command)) {
    process.stderr.write(`jazzrpc: unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return 2;
  }
  try {
    let values;
    try {
      ({ values } = parseArgs({ args: rest, options: OPTIONS[command] ?? {}, strict: true, allowPositionals: false }));
    } catch (error) {
      throw new UsageError(error.message);
    }
    const result = await commands[command](values);
    const { output, exitCode = 0 } = typeof result === "string" ? { output: result } : result;
    process.stdout.write(output + "\n");
    return exitCode;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`jazzrpc ${command}: ${error.message}\n\n(jazzrpc --help for usage)\n`);
      return 2;
    }
    const detail = error instanceof JazzRpcError ? `${error.message} (${error.code})` : error.message;
    process.stderr.write(`jazzrpc ${command}: ${detail}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
