// experimental_defineRequest / defineRequest: a typed, signed route.
//
// Server path, once per request: read the body (size limit, deadline) ->
// core.verifyMessage (parse, canonicalize, hash, signature, time window, route and
// worker binding) -> schema validation -> the guard's claim of the id (first, running,
// or done with its stored answer) -> handler -> a response signed by the worker,
// naming the request it answers -> the answer stored for the id's duplicates.
// Client path: validate -> sign -> fetch (the same body again on a lost or busy
// answer, while it is in its window) -> verify the response (signed by workerId,
// answering this request, in its window) -> validate -> values.

import { getCore, ready } from "../core/wasm.js";
import { JazzRequestError, isJazzRequestError } from "./request-error.js";
import { parseDefinition, usesCoValues, validate, validateSync } from "./schema.js";
import { MemoryReplayGuard } from "../guards/memory.js";
import { FIRST, claimWithin, within } from "../guards/claim.js";
import { readBody } from "./body.js";
import { signerOf } from "./account.js";
import { describeStatus } from "../core/errors.js";
import { DEFAULTS, checkOptions, retryPolicy } from "./options.js";
import { answerError, answerForError, answerOf, byteLength, duplicateResponse, errorAnswer, report, responseOf, successAnswer } from "./answer.js";

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
    const expiresAt = JSON.parse(prepared.body).createdAt + opts.window;
    const payload = await post(prepared.body, target, options, opts, expiresAt);
    return prepared.readPayload(payload);
  }

  async #preparePlainRequest(values, owner, opts, verifyOptions) {
    const value = await validate(this.#request, values, "Request payload is not valid", 400);
    const core = getCore();
    const body = core.signMessage(signerOf(owner), {
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
    const { body, verdict } = await this.#readAndVerify(request, jazzWorker, opts);

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

    const madeBy = jazzWorker ? jazzRequest.madeBy : Object.freeze({ id: verdict.madeBy, signerID: verdict.signerID });
    const run = jazzWorker
      ? async () => answerOf(await jazz.handleJazzRequest({ ...jazzRequest, worker, handler: (v, m) => runHandler(handler, v, m), response: this.#response, now: opts.now }))
      : async () => this.#sign(worker, verdict, await validateResult(this.#response, await runHandler(handler, value, madeBy)), opts);

    if (opts.exactlyOnce) {
      if (jazzWorker) throw new TypeError("handle(): exactlyOnce runs plain handlers; the jazz-tools path is not transactional");
      return this.#handleExactlyOnce(verdict, value, madeBy, worker, handler, opts);
    }

    const guard = opts.replayGuard ?? worker.replayGuard ?? (this.#defaultGuard ??= new MemoryReplayGuard({ now: opts.now }));
    let claim;
    try {
      claim = await claimWithin(guard, verdict.id, verdict.expiresAt, opts.guardTimeoutMs);
    } catch (error) {
      report(opts, error);
      throw new JazzRequestError("Replay guard unavailable, try again", 503);
    }
    if (claim !== FIRST) {
      // Expired between the check and the claim (a slow guard): never run, so not "already handled".
      if (claim.state === "seen" && verdict.expiresAt < opts.now()) throw rejection({ code: "ERR_EXPIRED", ...describeStatus(6) });
      return duplicateResponse(claim, opts.duplicates);
    }

    // The handler runs once for this id; whatever it leads to is the id's answer.
    let answer;
    try {
      answer = await run();
    } catch (error) {
      answer = answerForError(error, opts);
    }
    if (opts.duplicates === "reject" || typeof guard.complete !== "function") return responseOf(answer);
    const stored = byteLength(answer.body) <= opts.maxStoredAnswerBytes ? answer : null;
    try {
      await within(Promise.resolve().then(() => guard.complete(verdict.id, stored, verdict.expiresAt)), opts.guardTimeoutMs, "replay guard did not store the answer");
    } catch (error) {
      report(opts, error); // the client still gets its answer; duplicates get 409 until the id expires
    }
    return responseOf(answer);
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
      const { verdict } = await this.#readAndVerify(request, false, opts);
      const value = await validate(this.#request, verdict.value, "Request payload is not valid", 400);
      return { ok: true, value, id: verdict.id, madeBy: Object.freeze({ id: verdict.madeBy, signerID: verdict.signerID }) };
    } catch (error) {
      return { ok: false, response: answerError(error, { onError: onErrorOf(verifyOptions, opts) }) };
    }
  }

  // The method, the body (size limit, deadline), then the core's verdict on it:
  // jazz-tools' format for a jazz-tools worker, ours otherwise.
  async #readAndVerify(request, jazzWorker, opts) {
    if (request?.method !== "POST") throw new JazzRequestError("Method not allowed: use POST", 405);
    const body = await readBody(request, opts.maxBodyBytes, opts.bodyTimeoutMs);
    const core = getCore();
    const limits = { now: opts.now(), window: opts.window, skew: opts.skew, maxBytes: opts.maxBodyBytes, maxDepth: opts.maxDepth };
    const verdict = jazzWorker
      ? core.verifyJazzMessage(body, limits)
      : core.verifyMessage(body, { kind: "request", url: this.path, workerId: this.workerId }, limits);
    if (!verdict.ok) throw rejection(verdict);
    return { body, verdict };
  }

  // The answer: the response value signed by the worker, naming the request it answers.
  #sign(worker, verdict, responseValue, opts) {
    const payload = getCore().signMessage(signerOf(worker), {
      kind: "response",
      url: this.path,
      workerId: this.workerId,
      inResponseTo: verdict.id,
      nonce: randomNonce(),
      value: responseValue,
      createdAt: opts.now(),
    });
    return successAnswer(payload);
  }

  // Exactly once where the state lives (a Durable Object's own SQLite): the claim,
  // the handler's storage writes and the stored answer commit in one synchronous
  // transaction. A handler that fails (anything but a JazzRequestError) rolls all of
  // it back: the retry runs the handler cleanly. An object that fails after the
  // commit answers the retry from storage.
  #handleExactlyOnce(verdict, value, madeBy, worker, handler, opts) {
    const store = opts.exactlyOnce;
    const answer = store.transaction(() => {
      const claim = store.begin(verdict.id, verdict.expiresAt);
      if (claim !== FIRST) return claim;
      let outcome;
      try {
        const result = handler(value, madeBy);
        if (typeof result?.then === "function") {
          result.then?.(undefined, () => {});
          throw new TypeError("exactlyOnce: the handler must be synchronous (no await between the claim and the commit)");
        }
        outcome = { result };
      } catch (error) {
        const known = handlerError(error);
        if (!(known instanceof JazzRequestError)) throw known; // rolled back: nothing happened
        outcome = { answer: errorAnswer(known) }; // the handler's own answer: stored with its writes (details that are not JSON: rolled back)
      }
      if (outcome.answer === undefined) {
        let responseValue;
        try {
          responseValue = validateSync(this.#response, outcome.result ?? {}, "Response payload is not valid", 500);
        } catch (error) {
          throw new Error("handler returned a value that does not match the response schema", { cause: error });
        }
        outcome.answer = this.#sign(worker, verdict, responseValue, opts);
      }
      const { answer } = outcome;
      store.complete(verdict.id, byteLength(answer.body) <= opts.maxStoredAnswerBytes ? answer : null);
      return answer;
    });
    if (answer.state) return duplicateResponse(answer, opts.duplicates);
    return responseOf(answer);
  }
}

/** The value the handler returned, checked against the response schema (500 when it does not match). */
async function validateResult(definition, result) {
  try {
    return await validate(definition, result ?? {}, "Response payload is not valid", 500);
  } catch (error) {
    throw new Error("handler returned a value that does not match the response schema", { cause: error });
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

// Answers send() tries again with the very same body: the server did not run it
// yet (408, 429, 503), is running it (409), or its answer was lost on the way (502,
// 504). The request id makes the retry safe: a server runs its handler once and
// gives every copy the stored answer.
const RETRYABLE = new Set([408, 409, 429, 502, 503, 504]);
const WINDOW_MARGIN_MS = 1_000; // a retry that would arrive this close to the window's end is not sent

// POSTs a signed body; resolves to the success payload's JSON text, or throws the
// server's error (as jazz-tools' send() does) or a network failure as JazzRequestError.
// Retries (options.retry, else the route's) with exponential backoff and full jitter,
// honouring Retry-After, while the body is inside its window; options.signal aborts.
async function post(body, target, options, opts, expiresAt) {
  const doFetch = options.fetch ?? opts.fetch ?? globalThis.fetch;
  const policy = retryPolicy(options.retry ?? opts.retry);
  const { signal } = options;
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    let response;
    let failure;
    try {
      response = await doFetch(target, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...options.headers },
        body,
        ...(signal ? { signal } : {}),
      });
    } catch (cause) {
      signal?.throwIfAborted();
      failure = new JazzRequestError("Request failed: the server could not be reached", 503, undefined, { cause });
    }
    if (response && !RETRYABLE.has(response.status)) {
      try {
        return await readResponse(response);
      } catch (error) {
        error.attempts = attempt;
        throw error;
      }
    }
    failure ??= await errorOf(response);
    const delay = policy ? delayBefore(attempt, policy, response) : Infinity;
    if (!policy || attempt >= policy.attempts || opts.now() + delay > expiresAt - WINDOW_MARGIN_MS) {
      failure.attempts = attempt;
      throw failure;
    }
    await sleep(delay, signal);
  }
}

// The wait before attempt + 1: full jitter over base * 2^(attempt - 1), capped, and
// never less than the server's Retry-After.
function delayBefore(attempt, policy, response) {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.max(Math.random() * ceiling, retryAfterMs(response));
}

function retryAfterMs(response) {
  const value = response?.headers.get("Retry-After");
  if (!value) return 0;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : 0;
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

// The server's error, as jazz-tools' send() reads it.
async function errorOf(response) {
  if (response.headers.has("X-Jazz-Request-Error")) {
    let error;
    try {
      error = await response.json();
    } catch (cause) {
      return new JazzRequestError("Request failed", response.status, undefined, { cause });
    }
    return new JazzRequestError(String(error?.message ?? "Request failed"), Number(error?.code ?? response.status), error?.details);
  }
  await response.body?.cancel().catch(() => {});
  return new JazzRequestError("Request failed", response.status);
}

async function readResponse(response) {
  if (!response.ok) throw await errorOf(response);
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
