#!/usr/bin/env node
// jazzrpc command line: keys, canonical JSON, hashes, signed request bodies.
// The CLI is a host: it may read the clock (the core never does).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { core, JazzRpcError } from "../src/entries/node.js";

const HARD_MAX_DEPTH = 1024; // the core's hard cap on nesting
const VERSION = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;

const USAGE = `Usage: jazzrpc <command> [options]

Commands:
  keygen                      print a new {"signerSecret","signerID","accountID"}
  canonical [--max-depth <n>] read JSON on stdin, print its canonical text (cojson's stableStringify);
                              nesting up to --max-depth (default ${HARD_MAX_DEPTH}, the core's limit)
  hash [--max-depth <n>]      read JSON on stdin, print its hash_z…
  sign [--secret-file <path>] [--id <co_z…>] [--now <ms>]
                              read contentPieces (a JSON array, or {contentPieces, id?, createdAt?})
                              on stdin, print a signed request body; the signerSecret comes from the
                              environment variable JAZZRPC_SECRET or from --secret-file, never argv
  verify-request [--now <ms>] [--window <ms>] [--skew <ms>]
                              read a request body on stdin, print {"ok","code","status","message","id","signerID"};
                              exit 0 when valid, 1 when not (defaults: now = the clock, window 60000, skew 10000)
  help                        print this text
  --version                   print the version
`;

class UsageError extends Error {}

const OPTIONS = {
  canonical: { "max-depth": { type: "string" } },
  hash: { "max-depth": { type: "string" } },
  sign: { secret: { type: "string" }, "secret-file": { type: "string" }, id: { type: "string" }, now: { type: "string" } },
  "verify-request": { now: { type: "string" }, window: { type: "string" }, skew: { type: "string" } },
};

async function readStdin() {
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

function maxDepth(value) {
  if (value === undefined) return HARD_MAX_DEPTH;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > HARD_MAX_DEPTH) throw new UsageError(`--max-depth must be an integer from 1 to ${HARD_MAX_DEPTH}, got ${JSON.stringify(value)}`);
  return n;
}

// The signing secret: JAZZRPC_SECRET, or the first line of --secret-file. Never
// argv, where it would land in shell history and in every process listing.
function signingSecret(values) {
  if (values.secret !== undefined) {
    throw new UsageError("--secret is not accepted (argv lands in shell history): set JAZZRPC_SECRET or pass --secret-file <path>");
  }
  if (values["secret-file"] !== undefined) {
    let text;
    try {
      text = readFileSync(values["secret-file"], "utf8");
    } catch (error) {
      throw new UsageError(`cannot read --secret-file: ${error.message}`);
    }
    return text.split(/\r?\n/)[0].trim();
  }
  const fromEnv = process.env.JAZZRPC_SECRET;
  if (fromEnv) return fromEnv.trim();
  throw new UsageError("sign needs the signerSecret: set JAZZRPC_SECRET or pass --secret-file <path>");
}

const commands = {
  keygen() {
    const { signerSecret, signerID } = core.signKeypair();
    return JSON.stringify({ signerSecret, signerID, accountID: core.accountId(signerID) });
  },

  async canonical(values) {
    return core.canonicalize(await readStdin(), { maxDepth: maxDepth(values["max-depth"]) });
  },

  async hash(values) {
    return core.secureHash(await readStdin(), { maxDepth: maxDepth(values["max-depth"]) });
  },

  async sign(values) {
    const secret = signingSecret(values);
    const { id, now } = values;
    const input = readSignInput(await readStdin());
    const createdAt = number(now, "now", input.createdAt ?? Date.now());
    const contentPieces = input.contentPieces;
    return core.signEnvelope({ contentPieces, id: id ?? input.id ?? deriveId(contentPieces, createdAt), createdAt }, secret);
  },

  async "verify-request"({ now, window, skew }) {
    const options = {
      now: number(now, "now", Date.now()),
      window: number(window, "window", 60000),
      skew: number(skew, "skew", 10000),
    };
    const body = await readStdin();
    // A jazz-tools body (CoJSON pieces with headers) must also be signed by the
    // account that created the request; other bodies are checked as envelopes.
    const v = isJazzToolsBody(body) ? core.verifyJazzMessage(body, options) : core.verifyEnvelope(body, options);
    const line = { ok: v.ok, code: v.code, status: v.status, message: v.message, id: v.id, signerID: v.signerID };
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
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
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
      process.stderr.write(`jazzrpc ${command}: ${error.message}\n\n${USAGE}`);
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
