// Accounts: an ed25519 signer. An account's id is "co_z" + the base58 of its
// public key (the same characters as its "signer_z" id), so anyone can check that
// a message signed by a key comes from an account id, with no directory lookup.

import { getCore } from "./wasm.js";
import { MemoryReplayGuard } from "./guards.js";

const SECRET = Symbol("secret");

export class Account {
  /** @param {string} secret a "signerSecret_z…" (or jazz's "sealerSecret_z…/signerSecret_z…") */
  constructor(secret, key) {
    if (key !== SECRET) throw new TypeError("use Account.create() or Account.fromSecret(secret)");
    const core = getCore();
    const signerSecret = typeof secret === "string" && secret.includes("/") ? secret.split("/")[1] : secret;
    this.signerID = core.signerID(signerSecret);
    this.id = core.accountId(this.signerID);
    Object.defineProperty(this, "secret", { value: signerSecret, enumerable: false });
  }

  static create() {
    return new Account(getCore().signKeypair().signerSecret, SECRET);
  }

  static fromSecret(secret) {
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

const env = (name) => {
  if (typeof process !== "undefined" && process.env) return process.env[name];
  if (typeof Deno !== "undefined") {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined; // no --allow-env
    }
  }
  return undefined;
};

/**
 * Starts a worker: its account and its replay guard.
 * @param {{ accountID?: string, accountSecret?: string, replayGuard?: { claim(id: string, expiresAt: number): Promise<boolean> } }} [options]
 */
export async function startWorker(options = {}) {
  const accountID = options.accountID ?? env("JAZZ_WORKER_ACCOUNT");
  const accountSecret = options.accountSecret ?? env("JAZZ_WORKER_SECRET");
  if (!accountSecret) throw new TypeError("startWorker: accountSecret (or JAZZ_WORKER_SECRET) is required");
  const account = Account.fromSecret(accountSecret);
  if (accountID && accountID !== account.id) {
    throw new TypeError(`startWorker: the secret belongs to ${account.id}, not to ${accountID}`);
  }
  const worker = Object.assign(account, { replayGuard: options.replayGuard ?? new MemoryReplayGuard() });
  return { worker };
}
