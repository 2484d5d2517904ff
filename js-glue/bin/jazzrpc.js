#!/usr/bin/env node
// jazzrpc command line: keys, canonical JSON, hashes, signed request bodies.
// The CLI is a host: it may read the clock (the core never does).
import { parseArgs } from "node:util";
import { core, JazzRpcError } from "../src/node.js";

const USAGE = `Usage: jazzrpc <command> [options]

Commands:
  keygen                      print a new {"signerSecret","signerID"}
  canonical                   read JSON on stdin, print its canonical text (cojson's stableStringify)
  hash                        read JSON on stdin, print its hash_z…
  sign --secret <signerSecret> [--id <co_z…>] [--now <ms>]
                              read contentPieces (a JSON array, or {contentPieces, id?, createdAt?})
                              on stdin, print a signed request body
  verify-request [--now <ms>] [--window <ms>] [--skew <ms>]
                              read a request body on stdin, print {"ok","code","status","message","id","signerID"};
                              exit 0 when valid, 1 when not (defaults: now = the clock, window 60000, skew 10000)
  help                        print this text
`;

class UsageError extends Error {}

const OPTIONS = {
  sign: { secret: { type: "string" }, id: { type: "string" }, now: { type: "string" } },
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

const commands = {
  keygen() {
    const { signerSecret, signerID } = core.signKeypair();
    return JSON.stringify({ signerSecret, signerID });
  },

  async canonical() {
    return core.canonicalize(await readStdin());
  },

  async hash() {
    return core.secureHash(await readStdin());
  },

  async sign({ secret, id, now }) {
    if (secret === undefined) throw new UsageError("sign needs --secret <signerSecret>");
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

process.exitCode = await main(process.argv.slice(2));
