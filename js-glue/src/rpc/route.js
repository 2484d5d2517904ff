// experimental_defineRequest / defineRequest: a typed, signed route.
//
// Server path, once per request: read the body (size limit) -> core.verifyMessage
// (parse, canonicalize, hash, signature, time window, route and worker binding)
// -> guard.claim(id, expiresAt) -> schema validation -> handler -> a response
// signed by the worker, naming the request it answers.
// Client path: validate -> sign -> fetch -> verify the response (signed by
// workerId, answering this request, in its window) -> validate -> values.

import { getCore, ready } from "../core/wasm.js";
import { JazzRequestError, isJazzRequestError } from "./request-error.js";
import { parseDefinition, usesCoValues, validate } from "./schema.js";
import { MemoryReplayGuard } from "../guards/memory.js";
import { claimWithin } from "../guards/claim.js";
import { readBody } from "./body.js";
import { ALREADY_HANDLED } from "../core/errors.js";
import { DEFAULTS, checkOptions } from "./options.js";
import { answerError, report } from "./answer.js";

// handle() answers a refused request with the core's status and message
// (errors.js); a key, encoding or id that does not check out is, to the sender,
// a signature that does not verify.
const SIGNATURE_FAILURES = new Set(["ERR_BAD_KEY", "ERR_BAD_ENCODING", "ERR_BAD_ID"]);

function rejection(verdict) {
  if (SIGNATURE_FAILURES.has(verdict.code)) return new JazzRequestError("Invalid signature", 401);
  return new JazzRequestError(verdict.message, verdict.status);
}

const pathOf = (url) => new URL(url, "http://jazzrpc.invalid").pathname;

const randomNonce = () => "z" + getCore().base58Encode(crypto.getRandomValues(new Uint8Array(16)));

class Route {
  #request;
  #response;
  #options;
  #defaultGuard;

  constructor(params) {
    if (!params || typeof params.url !== "string") throw new TypeError("defineRequest: 'url' is required");
    if (params.workerId === undefined) throw new TypeError("Worker ID is required");
    this.url = params.url;
    this.path = pathOf(params.url);
    this.workerId = params.workerId;
    this.#request = parseDefinition(params.request, "request");
    this.#response = parseDefinition(params.response, "response");
    this.#options = { ...DEFAULTS, now: Date.now, ...checkOptions(params.options) };
  }

  get requestSchema() {
    return this.#request.schema;
  }
  get responseSchema() {
    return this.#response.schema;
  }

  /**
   * Sends values, signed by options.owner, and resolves to the worker's validated response.
   * @param {object} values
   * @param {{ owner: import("./account.js").Account, fetch?: typeof fetch, baseUrl?: string, headers?: Record<string,string> }} options
   */
  async send(values, options = {}) {
    const target = targetOf(this.url, options.baseUrl, Boolean(options.fetch ?? this.#options.fetch));
    await ready(); // a browser loads the core on the first call that needs it
    const { owner } = options;
    const opts = this.#options;
    const verifyOptions = { window: opts.window, skew: opts.skew, maxBytes: opts.maxBodyBytes, maxDepth: opts.maxDepth };
    let prepared;
    if (isJazzAccount(owner)) {
      const value = await validate(this.#request, values, "Request payload is not valid", 400);
      const jazz = await loadJazzPath();
      prepared = await jazz.prepareJazzRequest({
        workerId: this.workerId, values: value, owner, request: this.#request, response: this.#response, now: opts.now, verifyOptions,
      });
    } else {
      if (!owner || typeof owner.secret !== "string") {
        throw new JazzRequestError("send() needs { owner }: the account that signs the request", 400);
      }
      if (usesCoValues(this.#request) || usesCoValues(this.#response)) {
        throw new JazzRequestError("CoValue schemas need a jazz-tools Account as owner", 400);
      }
      prepared = await this.#preparePlainRequest(values, owner, opts, verifyOptions);
    }
    const payload = await post(prepared.body, target, options, opts);
    return prepared.readPayload(payload);
  }

  async #preparePlainRequest(values, owner, opts, verifyOptions) {
    const value = await validate(this.#request, values, "Request payload is not valid", 400);
    const core = getCore();
    const body = core.signMessage(owner.secret, {
      kind: "request",
      url: this.path,
      workerId: this.workerId,
      nonce: randomNonce(),
      value,
      createdAt: opts.now(),
    });
    const requestId = JSON.parse(body).id;
    const readPayload = async (payload) => {
      const verdict = core.verifyMessage(
        payload,
        { kind: "response", url: this.path, workerId: this.workerId, inResponseTo: requestId },
        { ...verifyOptions, now: opts.now() },
      );
      if (!verdict.ok) throw new JazzRequestError(`Response refused: ${verdict.message}`, 502, { code: verdict.code });
      return validate(this.#response, verdict.value, "Response payload is not valid", 502);
    };
    return { body, readPayload };
  }

  /**
   * Handles a standard Request; always resolves to a Response, never rejects,
   * whatever the handler throws or returns and whatever the guard does.
   * @param {Request} request
   * @param {import("./account.js").Account & { replayGuard?: any }} worker
   * @param {(value: any, madeBy: { id: string, signerID: string }) => any} handler
   */
  async handle(request, worker, handler, handleOptions = undefined) {
    let opts = this.#options;
    try {
      if (handleOptions !== undefined) opts = { ...opts, ...checkOptions(handleOptions) };
      return await this.#handle(request, worker, handler, opts);
    } catch (error) {
      return answerError(error, { onError: onErrorOf(handleOptions, opts) });
    }
  }

  async #handle(request, worker, handler, opts) {
    await ready();
    const jazzWorker = isJazzAccount(worker);
    if (!jazzWorker && (!worker || typeof worker.secret !== "string" || worker.id !== this.workerId)) {
      throw new Error(`handle(): the worker given is not the route's worker ${this.workerId}`);
    }
    if (typeof handler !== "function") throw new TypeError("handle(): the handler must be a function");
    if (request?.method !== "POST") throw new JazzRequestError("Method not allowed: use POST", 405);

    const body = await readBody(request, opts.maxBodyBytes, opts.bodyTimeoutMs);

    // The core checks the body: jazz-tools' format for a jazz-tools worker, ours otherwise.
    const core = getCore();
    const limits = { now: opts.now(), window: opts.window, skew: opts.skew, maxBytes: opts.maxBodyBytes, maxDepth: opts.maxDepth };
    const verdict = jazzWorker
      ? core.verifyJazzMessage(body, limits)
      : core.verifyMessage(body, { kind: "request", url: this.path, workerId: this.workerId }, limits);
    if (!verdict.ok) throw rejection(verdict);

    // Every check that can fail runs before the claim, so that a body that fails
    // one cannot burn its id: on the jazz-tools path, the request CoValue is
    // imported and its creator loaded and checked first.
    let jazz;
    let jazzRequest;
    if (jazzWorker) {
      jazz = await loadJazzPath();
      jazzRequest = await jazz.verifyJazzRequest({ bodyText: new TextDecoder().decode(body), verdict, worker, request: this.#request });
    } else if (usesCoValues(this.#request) || usesCoValues(this.#response)) {
      throw new Error("handle(): CoValue schemas need a jazz-tools Account as worker");
    }
    const value = jazzWorker ? undefined : await validate(this.#request, verdict.value, "Request payload is not valid", 400);

    const guard = opts.replayGuard ?? worker.replayGuard ?? (this.#defaultGuard ??= new MemoryReplayGuard({ now: opts.now }));
    let first;
    try {
      first = await claimWithin(guard, verdict.id, verdict.expiresAt, opts.guardTimeoutMs);
    } catch (error) {
      report(opts, error);
      throw new JazzRequestError("Replay guard unavailable, try again", 503);
    }
    if (first !== true) throw new JazzRequestError(ALREADY_HANDLED.message, ALREADY_HANDLED.status);

    if (jazzWorker) {
      return jazz.handleJazzRequest({ ...jazzRequest, worker, handler: (v, m) => runHandler(handler, v, m), response: this.#response, now: opts.now });
    }
    const madeBy = Object.freeze({ id: verdict.madeBy, signerID: verdict.signerID });
    const result = await runHandler(handler, value, madeBy);
    let responseValue;
    try {
      responseValue = await validate(this.#response, result ?? {}, "Response payload is not valid", 500);
    } catch (error) {
      throw new Error("handler returned a value that does not match the response schema", { cause: error });
    }
    const payload = core.signMessage(worker.secret, {
      kind: "response",
      url: this.path,
      workerId: this.workerId,
      inResponseTo: verdict.id,
      nonce: randomNonce(),
      value: responseValue,
      createdAt: opts.now(),
    });
    return new Response(`{"type":"success","payload":${payload}}`, {
      status: 200,
      headers: { "Content-Type": "application/json" },
    });
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

// Runs the handler; a JazzRequestError (ours, jazz-tools', or its { message, code }
// shape) it throws becomes the answer, read here once into plain values (its
// getters may throw, its details may not serialise: answer.js checks that).
async function runHandler(handler, value, madeBy) {
  try {
    return await handler(value, madeBy);
  } catch (error) {
    throw handlerError(error);
  }
}

function handlerError(error) {
  let known = false;
  try {
    known = isJazzRequestError(error);
  } catch {
    known = false; // a Proxy whose traps throw: not an answer we can read
  }
  if (!known) return error;
  try {
    const code = Number.isInteger(error.code) && error.code >= 400 && error.code <= 599 ? error.code : 500;
    const answer = new JazzRequestError(String(error.message), code, error.details);
    answer.fromHandler = true;
    return answer;
  } catch (cause) {
    return new Error("the handler threw a JazzRequestError that cannot be read", { cause });
  }
}

// POSTs a signed body; resolves to the success payload's JSON text, or throws the
// server's error (as jazz-tools' send() does) or a network failure as JazzRequestError.
async function post(body, target, options, opts) {
  const doFetch = options.fetch ?? opts.fetch ?? globalThis.fetch;
  let response;
  try {
    response = await doFetch(target, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...options.headers },
      body,
    });
  } catch (cause) {
    throw new JazzRequestError("Request failed: the server could not be reached", 503, undefined, { cause });
  }
  if (!response.ok) {
    if (response.headers.has("X-Jazz-Request-Error")) {
      let error;
      try {
        error = await response.json();
      } catch (cause) {
        throw new JazzRequestError("Request failed", response.status, undefined, { cause });
      }
      throw new JazzRequestError(String(error?.message ?? "Request failed"), Number(error?.code ?? response.status), error?.details);
    }
    throw new JazzRequestError("Request failed", response.status);
  }
  try {
    const parsed = await response.json();
    if (parsed?.type !== "success" || typeof parsed.payload !== "object" || parsed.payload === null) throw new Error("not a success payload");
    return JSON.stringify(parsed.payload);
  } catch (cause) {
    throw new JazzRequestError("Response payload is not valid", 502, undefined, { cause });
  }
}

/**
 * Where send() posts: the route's url against baseUrl, else against the page
 * (a browser); a relative url with neither is a TypeError, before any network.
 * A fetch of the caller's own gets the url as it is (it may resolve it itself).
 */
function targetOf(url, baseUrl, customFetch) {
  if (baseUrl !== undefined) return new URL(url, baseUrl);
  if (URL.canParse?.(url) ?? /^[a-z][a-z0-9+.-]*:/i.test(url)) return new URL(url);
  if (customFetch) return url;
  const page = globalThis.location?.href;
  if (typeof page === "string") return new URL(url, page);
  throw new TypeError(
    `send(): the route's url "${url}" is relative and there is no page to resolve it against: pass { baseUrl: "https://your-server" } to send()`,
  );
}

/** A jazz-tools Account (or anything carrying its $jazz handle): the jazz-tools path. */
const isJazzAccount = (x) => x !== null && typeof x === "object" && typeof x.$jazz === "object" && x.$jazz?.localNode !== undefined;

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
