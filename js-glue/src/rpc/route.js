// experimental_defineRequest / defineRequest: a typed, signed route shared by client
// and server. The route holds the definition; the paths live beside it:
//   client.js  prepare (validate, sign) and deliver (post with retries, verify the answer);
//   serve.js   handle (read, verify, run) and verify (the checks alone);
//   once.js    a request id's life (claim, run, complete or release, replay).

import { ready } from "../core/wasm.js";
import { parseDefinition, usesCoValues } from "./schema.js";
import { MemoryReplayGuard } from "../guards/memory.js";
import { DEFAULTS, ROUTE_OPTIONS, checkOptions, checkSendOptions, refuseUnknown } from "./options.js";
import { answerError, answerForError, responseOf } from "./answer.js";
import { deliver, prepare } from "./client.js";
import { readAndVerify, requestValue, serve, sourceOfRequest } from "./serve.js";

const pathOf = (url) => new URL(url, "http://jazzrpc.invalid").pathname;

/** The key of a route's answer entry (serve a request source, get a plain answer): for the server adapters. */
export const ANSWER_ENTRY = Symbol.for("jazzrpc.answerEntry");

/**
 * An account id: "co_z" + base58 (Bitcoin alphabet). Ours are a 32-byte public key
 * (43-44 characters); a jazz-tools account is a CoValue id (a 19-byte hash, 25-27).
 */
const ACCOUNT_ID = /^co_z[1-9A-HJ-NP-Za-km-z]{20,60}$/;
const DEFINE_PARAMS = ["url", "workerId", "request", "response", "options"];

function checkWorkerId(value, given) {
  if (value === undefined || value === null || value === "") {
    throw new TypeError(
      `defineRequest: option 'workerId' is missing${given === "function" ? " (its function returned nothing)" : ""}: the worker's account id ("co_z…"), ` +
        "or a function returning it, e.g. workerId: () => process.env.JAZZ_WORKER_ACCOUNT " +
        "(set JAZZ_WORKER_ACCOUNT on the server; in a page, from your bundler's env, e.g. import.meta.env.VITE_JAZZ_WORKER_ACCOUNT or NEXT_PUBLIC_JAZZ_WORKER_ACCOUNT)",
    );
  }
  if (typeof value !== "string" || !ACCOUNT_ID.test(value)) {
    const hint = typeof value === "string" && value.startsWith("signer_z") ? ": this is a signer id; the account id is Account.idOfSigner(signerID)" : "";
    throw new TypeError(`defineRequest: option 'workerId' must be an account id ("co_z" + base58), got ${JSON.stringify(String(value).slice(0, 60))}${hint}`);
  }
  return value;
}

class Route {
  #request;
  #response;
  #options;
  #workerId;
  #defaultGuard;
  #jazzPath;

  constructor(params) {
    if (params === null || typeof params !== "object") throw new TypeError("defineRequest: { url, workerId, request, response } is required");
    refuseUnknown(params, DEFINE_PARAMS, "defineRequest");
    if (typeof params.url !== "string") throw new TypeError("defineRequest: 'url' is required");
    this.url = params.url;
    this.path = pathOf(params.url);
    // A function is called when the id is first needed (a send, a request served), so
    // one route file serves a page, a build without secrets and a server.
    if (typeof params.workerId === "function") {
      const get = params.workerId;
      this.#workerId = () => checkWorkerId(get(), "function");
    } else {
      const id = checkWorkerId(params.workerId, typeof params.workerId);
      this.#workerId = () => id;
    }
    this.#request = parseDefinition(params.request, "request");
    this.#response = parseDefinition(params.response, "response");
    this.#options = Object.freeze({ ...DEFAULTS, now: Date.now, ...checkOptions(params.options, ROUTE_OPTIONS, "defineRequest options") });
    this.#jazzPath = () => loadJazzPath();
  }

  /** The worker's account id (a workerId function is called now). */
  get workerId() {
    return this.#workerId();
  }
  get requestSchema() {
    return this.#request.schema;
  }
  get responseSchema() {
    return this.#response.schema;
  }

  // What client.js and serve.js read of the route.
  #view(opts) {
    return {
      url: this.url,
      path: this.path,
      workerId: this.#workerId,
      request: this.#request,
      response: this.#response,
      opts,
      loadJazzPath: this.#jazzPath,
      defaultGuard: () => (this.#defaultGuard ??= new MemoryReplayGuard({ now: opts.now })),
    };
  }

  /**
   * Validates and signs values: `{ id, body, expiresAt }`, plain JSON an app can keep
   * (an outbox) and give to deliver() later, as often as it needs.
   * @param {object} values
   * @param {{ owner: import("./account.js").Account }} options
   */
  async prepare(values, options) {
    checkSendOptions(options);
    if (!options.owner) throw new TypeError("jazzrpc: prepare() needs { owner }: the account that signs the request");
    return prepare(this.#view(this.#options), values, options);
  }

  /**
   * Sends a prepared request (the very body prepare() made), with send()'s retries and
   * checks; resolves to the worker's validated answer. Errors carry `requestId`.
   */
  async deliver(prepared, options = {}) {
    checkSendOptions(options);
    return deliver(this.#view(this.#options), prepared, options);
  }

  /**
   * Sends values, signed by options.owner, and resolves to the worker's validated
   * response: prepare() then deliver(). Errors carry `requestId` once it is signed.
   */
  async send(values, options) {
    checkSendOptions(options);
    if (!options.owner) throw new TypeError("jazzrpc: send() needs { owner }: the account that signs the request");
    const prepared = await prepare(this.#view(this.#options), values, options);
    return deliver(this.#view(this.#options), prepared, options);
  }

  /**
   * Handles a standard Request; always resolves to a Response, never rejects,
   * whatever the handler throws or returns and whatever the guard does.
   * @param {Request} request
   * @param {import("./account.js").Account & { replayGuard?: any }} worker
   * @param {(value: any, madeBy: { id: string, signerID: string }, context: { request: Request, id: string, env?: any, ctx?: any, tx?: any }) => any} handler
   */
  async handle(request, worker, handler, handleOptions = undefined) {
    return responseOf(await this[ANSWER_ENTRY](sourceOfRequest(request), worker, handler, handleOptions));
  }

  /**
   * The one entry every server path goes through: a request source (method, body
   * reader, the Request on demand) in, a plain answer { status, headers, body } out.
   * handle() makes a Response of it; toNodeListener(route, handler) writes it to the
   * ServerResponse, with no Request or Response made. Never rejects.
   */
  async [ANSWER_ENTRY](source, worker, handler, handleOptions = undefined) {
    let opts = this.#options;
    try {
      if (handleOptions !== undefined) opts = { ...opts, ...checkOptions(handleOptions) };
      return await serve(this.#view(opts), source, worker, handler, opts);
    } catch (error) {
      return answerForError(error, { onError: onErrorOf(handleOptions, opts) }, { route: this.path });
    }
  }

  /**
   * Checks a request as handle() would (method, size, deadline, signature, window,
   * route and worker binding, request schema) without claiming its id or running
   * anything: for a stateless Worker that routes a request to the Durable Object
   * that will handle it, so that a bad body never wakes an object. Never rejects.
   * @param {Request} request (its body is read: pass request.clone() to forward the request)
   * @returns {Promise<{ ok: true, value: any, id: string, madeBy: { id: string, signerID: string } } | { ok: false, response: Response }>}
   */
  async verify(request, verifyOptions = undefined) {
    let opts = this.#options;
    try {
      if (verifyOptions !== undefined) opts = { ...opts, ...checkOptions(verifyOptions) };
      await ready();
      if (usesCoValues(this.#request) || usesCoValues(this.#response)) throw new TypeError("verify(): CoValue schemas are checked by handle() with a jazz-tools worker");
      const view = this.#view(opts);
      const { verdict, expired } = await readAndVerify(view, sourceOfRequest(request), false, opts, { pastWindow: opts.duplicates !== "reject" });
      const value = await requestValue(view, verdict);
      const checked = { ok: true, value, id: verdict.id, madeBy: Object.freeze({ id: verdict.madeBy, signerID: verdict.signerID }) };
      // Past its window but within answerTtlMs: handle() answers it from the stored answer
      // (or 401 when there is none), so a stateless Worker forwards it like any other.
      return expired ? { ...checked, expired: true } : checked;
    } catch (error) {
      return { ok: false, response: answerError(error, { onError: onErrorOf(verifyOptions, opts) }, { route: this.path }) };
    }
  }
}

// The onError to tell: the per-call one when it is a function (even if other
// per-call options were refused), else the route's.
function onErrorOf(handleOptions, opts) {
  try {
    if (typeof handleOptions?.onError === "function") return handleOptions.onError;
  } catch {
    // a getter that throws: fall back to the route's
  }
  return opts.onError;
}

let jazzPath; // the jazz-tools path module, once loaded
let loadJazzModule = null; // how this runtime's entry loads it (Node and Deno), if it can

/**
 * Registers the jazz-tools path (src/jazz/path.js): "jazzrpc/jazz" passes the module
 * (bundles carry it, and jazz-tools, statically); the Node and Deno entries pass a
 * loader that imports it only when a jazz-tools Account is first used. jazz-tools is
 * an optional peer dependency, so nothing on the default path imports it.
 * @param {object | (() => Promise<object>)} moduleOrLoader
 */
export function useJazzPath(moduleOrLoader) {
  if (typeof moduleOrLoader === "function") loadJazzModule = moduleOrLoader;
  else jazzPath = Promise.resolve(moduleOrLoader);
}

function loadJazzPath() {
  if (jazzPath) return jazzPath;
  if (!loadJazzModule) {
    return Promise.reject(new Error("A jazz-tools Account was given: import \"jazzrpc/jazz\" once in this program (and install jazz-tools)"));
  }
  jazzPath = loadJazzModule().catch((cause) => {
    jazzPath = undefined;
    throw new Error("A jazz-tools Account was given, but jazz-tools could not be loaded: install jazz-tools", { cause });
  });
  return jazzPath;
}

/** Defines a route shared by client and server. */
export function experimental_defineRequest(params) {
  return new Route(params);
}

export const defineRequest = experimental_defineRequest;
