// Accounts: an ed25519 signer. An account's id is "co_z" + the base58 of its
// public key (the same characters as its "signer_z" id), so anyone can check that
// a message signed by a key comes from an account id, with no directory lookup.

import { getCore, isReady, ready } from "../core/wasm.js";
import { MemoryReplayGuard } from "../guards/memory.js";

const SECRET = Symbol("secret");

/** A jazz-tools Account (or anything carrying its $jazz handle): the jazz-tools path. */
export const isJazzAccount = (x) => x !== null && typeof x === "object" && typeof x.$jazz === "object" && x.$jazz?.localNode !== undefined;

/** crypto.getRandomValues, with the reason it fails at a Worker's top level. */
function randomSeed() {
  try {
    return crypto.getRandomValues(new Uint8Array(32));
  } catch (cause) {
    throw new Error(
      "jazzrpc: no randomness from crypto.getRandomValues (in a Worker, create accounts inside a request handler, not at module top level)",
      { cause },
    );
  }
}

export class Account {
  #secret = null; // "signerSecret_z…", once known
  #seed = null; // the 32 random bytes of an account created before the core was loaded
  #signerID = null;
  #id = null;

  /** @param {string | Uint8Array} secret a "signerSecret_z…" (or jazz's "sealerSecret_z…/signerSecret_z…"), or a seed */
  constructor(secret, key) {
    if (key !== SECRET) throw new TypeError("use Account.create() or Account.fromSecret(secret)");
    if (secret instanceof Uint8Array) this.#seed = secret;
    else this.#secret = typeof secret === "string" && secret.includes("/") ? secret.split("/")[1] : secret;
    if (isReady()) this.#derive(); // checks the secret at once wherever the core is loaded
  }

  // The keys, derived by the core the first time they are needed: in a browser,
  // Account.create() works before the wasm has loaded, and send() (which awaits
  // it) derives them.
  #derive() {
    if (this.#id !== null) return;
    const core = getCore();
    if (this.#seed !== null) {
      this.#secret = core.signKeypair(this.#seed).signerSecret;
      this.#seed.fill(0);
      this.#seed = null;
    }
    const signerID = core.signerID(this.#secret);
    this.#id = core.accountId(signerID);
    this.#signerID = signerID;
  }

  /** "co_z…": the account's id (its public key). */
  get id() {
    this.#derive();
    return this.#id;
  }

  /** "signer_z…": the account's public signing key. */
  get signerID() {
    this.#derive();
    return this.#signerID;
  }

  /** "signerSecret_z…": keep it secret (it is not enumerable and not in toJSON). */
  get secret() {
    this.#derive();
    return this.#secret;
  }

  /** A new account from the host's randomness; usable at once, also before a browser has loaded the core. */
  static create() {
    return new Account(randomSeed(), SECRET);
  }

  static fromSecret(secret) {
    if (typeof secret !== "string") throw new TypeError("Account.fromSecret: a \"signerSecret_z…\" string is required");
    return new Account(secret, SECRET);
  }

  /** The account id a signer id stands for. */
  static idOfSigner(signerID) {
    return getCore().accountId(signerID);
  }

  /** A value safe to log or send: no secret in it. */
  toJSON() {
    return { id: this.id, signerID: this.signerID };
  }
}

// Each account's secret, opened once in module memory (core.openSigner): a worker
// signs every response without decoding its secret and deriving its public key
// again. Keyed by the account object (an Account, or any { id, secret } a route is
// given); the Signer is wiped when the account is collected.
const signers = new WeakMap();

/** The Signer for account.secret, opened the first time it is needed. */
export function signerOf(account) {
  const secret = account.secret;
  let entry = signers.get(account);
  if (entry === undefined || entry.secret !== secret) {
    entry?.signer.close();
    entry = { secret, signer: getCore().openSigner(secret) };
    signers.set(account, entry);
  }
  return entry.signer;
}

/** An environment variable: from `env` (a Workers env) first, then process.env or Deno.env. */
function envValue(name, env) {
  if (env && typeof env[name] === "string") return env[name];
  if (typeof process !== "undefined" && process.env) return process.env[name];
  if (typeof Deno !== "undefined") {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined; // no --allow-env
    }
  }
  return undefined;
}

/**
 * Starts a worker: its account and its replay guard.
 * @param {{ accountID?: string, accountSecret?: string, replayGuard?: { claim(id: string, expiresAt: number): Promise<boolean> }, env?: object }} [options]
 *   env: where JAZZ_WORKER_ACCOUNT and JAZZ_WORKER_SECRET are read first (a Workers env); then process.env or Deno.env
 */
export async function startWorker(options = {}) {
  const accountID = options.accountID ?? envValue("JAZZ_WORKER_ACCOUNT", options.env);
  const accountSecret = options.accountSecret ?? envValue("JAZZ_WORKER_SECRET", options.env);
  if (!accountSecret) throw new TypeError("startWorker: accountSecret (or JAZZ_WORKER_SECRET) is required");
  await ready();
  const account = Account.fromSecret(accountSecret);
  if (accountID && accountID !== account.id) {
    throw new TypeError(`startWorker: the secret belongs to ${account.id}, not to ${accountID}`);
  }
  const worker = Object.assign(account, { replayGuard: options.replayGuard ?? new MemoryReplayGuard() });
  return { worker };
}
