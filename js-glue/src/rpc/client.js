// The client path: prepare (validate, sign: a plain-JSON body an app can keep in an
// outbox), then deliver (POST that very body, again on every transport failure and
// busy answer, then verify the worker's answer and validate it). send() is both.
//
// Retries are safe because the server runs a request id once and gives every copy
// the stored answer. A failure that tells nothing about the outcome (unreachable, a
// cut or unparsable answer, 408/409/429/502/503/504) is retried with the same body
// within the retry budget and the body's window; anything else is the outcome.

import { getCore, ready } from "../core/wasm.js";
import { JazzRequestError } from "./request-error.js";
import { usesCoValues, validate } from "./schema.js";
import { isJazzAccount, signerOf } from "./account.js";
import { retryPolicy } from "./options.js";
import { KEY_NONCE_PREFIX, randomNonce } from "./nonce.js";
import { telemetryOff, traceSend } from "./telemetry.js";

const RETRYABLE = new Set([408, 409, 425, 429, 502, 503, 504]);
const WINDOW_MARGIN_MS = 1_000; // a retry that would arrive this close to the window's end is not sent


/**
 * Validates and signs: `{ id, body, expiresAt }`, plain JSON (the body is the exact
 * text deliver() posts). `route` is the route's client view: { path, workerId(),
 * request, response, opts, loadJazzPath }.
 */
export async function prepare(route, values, options) {
  const { owner } = options;
  const opts = route.opts;
  await ready(); // a browser loads the core on the first call that needs it
  if (isJazzAccount(owner)) {
    if (options.idempotencyKey !== undefined) throw new TypeError("send(): idempotencyKey is for jazzrpc's own format; a jazz-tools request has no place for it");
    const value = await requestValue(route, values);
    const jazz = await route.loadJazzPath();
    const { body } = await jazz.prepareJazzRequest({
      workerId: route.workerId(), values: value, owner, request: route.request, response: route.response, now: opts.now, verifyOptions: verifyOptionsOf(opts),
    });
    return preparedOf(body, opts);
  }
  if (usesCoValues(route.request) || usesCoValues(route.response)) {
    throw new TypeError("send(): CoValue schemas need a jazz-tools Account as owner");
  }
  const value = await requestValue(route, values);
  const body = getCore().signMessage(signerOf(owner), {
    kind: "request",
    url: route.path,
    workerId: route.workerId(),
    nonce: options.idempotencyKey === undefined ? randomNonce() : KEY_NONCE_PREFIX + options.idempotencyKey,
    value,
    createdAt: opts.now(),
  });
  return preparedOf(body, opts);
}

// The values, checked against the request schema before anything is signed or sent.
async function requestValue(route, values) {
  try {
    return await validate(route.request, values, "Request payload is not valid", 400);
  } catch (error) {
    if (error instanceof JazzRequestError) error.reason ??= "ERR_SCHEMA";
    throw error;
  }
}

function preparedOf(body, opts) {
  const { id, createdAt } = JSON.parse(body);
  return { id, body, expiresAt: createdAt + opts.window };
}

/**
 * POSTs a prepared body and resolves to the worker's validated answer. Every error
 * it throws carries `requestId` (and `attempts` once anything was sent).
 */
export async function deliver(route, prepared, options, trace = undefined) {
  // OpenTelemetry (telemetry.js): a span for the delivery, one child per attempt; null: none.
  if (trace === undefined && !telemetryOff) return traceSend(route.path, prepared?.id, (t) => deliver(route, prepared, options, t));
  const requestId = prepared?.id;
  try {
    const { body } = checkPrepared(prepared);
    const target = targetOf(route.url, options.baseUrl, Boolean(options.fetch ?? route.opts.fetch));
    await ready();
    const envelope = JSON.parse(body);
    const readPayload = await payloadReader(route, envelope, options);
    const payload = await post(body, target, options, route.opts, envelope.createdAt + route.opts.window, trace);
    return await readPayload(payload);
  } catch (error) {
    if (error !== null && typeof error === "object" && !Object.isFrozen(error)) {
      try {
        error.requestId ??= requestId;
      } catch {
        // a foreign error object that refuses properties: thrown as it is
      }
    }
    throw error;
  }
}

function checkPrepared(prepared) {
  if (prepared === null || typeof prepared !== "object" || typeof prepared.body !== "string" || typeof prepared.id !== "string") {
    throw new TypeError("deliver(): a prepared request, { id, body, expiresAt } from route.prepare(), is required");
  }
  let envelope;
  try {
    envelope = JSON.parse(prepared.body);
  } catch {
    envelope = null;
  }
  if (envelope?.id !== prepared.id || typeof envelope.createdAt !== "number") {
    throw new TypeError("deliver(): the prepared request's body is not the one prepare() made (its id does not match)");
  }
  return prepared;
}

// How the answer to this body is checked: signed by the worker, naming this request,
// made since the request was (a stored answer may be replayed long after).
async function payloadReader(route, envelope, options) {
  const opts = route.opts;
  const verifyOptions = verifyOptionsOf(opts);
  if (isJazzBody(envelope)) {
    if (!isJazzAccount(options.owner)) throw new TypeError("deliver(): a jazz-tools request needs { owner }: the jazz-tools Account that prepared it");
    const jazz = await route.loadJazzPath();
    return jazz.jazzResponseReader({ workerId: route.workerId(), owner: options.owner, response: route.response, now: opts.now, verifyOptions, createdAt: envelope.createdAt });
  }
  const core = getCore();
  return async (payload) => {
    const now = opts.now();
    const window = Math.max(opts.window, now - envelope.createdAt + opts.window + opts.skew);
    const verdict = core.verifyMessage(
      payload,
      { kind: "response", url: route.path, workerId: route.workerId(), inResponseTo: envelope.id },
      { ...verifyOptions, window, now },
    );
    if (!verdict.ok) throw new JazzRequestError(`Response refused: ${verdict.message}`, 502, { code: verdict.code }, { reason: "ERR_RESPONSE_REFUSED" });
    return validateResponse(route.response, verdict.value);
  };
}

async function validateResponse(definition, value) {
  try {
    return await validate(definition, value, "Response payload is not valid", 502);
  } catch (error) {
    if (error instanceof JazzRequestError) error.reason ??= "ERR_RESPONSE_SCHEMA";
    throw error;
  }
}

/** jazz-tools' own format: its content pieces are CoJSON, not one jazzrpc piece. */
const isJazzBody = (envelope) => !(Array.isArray(envelope.contentPieces) && envelope.contentPieces.length === 1 && typeof envelope.contentPieces[0]?.jazzrpc === "string");

const verifyOptionsOf = (opts) => ({ window: opts.window, skew: opts.skew, maxBytes: opts.maxBodyBytes, maxDepth: opts.maxDepth });

// POSTs a signed body; resolves to the success payload's JSON text, or throws the
// server's error (as jazz-tools' send() does) or a transport failure, each as a
// JazzRequestError. Retries with exponential backoff and full jitter, honouring
// Retry-After and polling a 409 while the first copy runs, within the retry budget
// and the body's window; options.signal aborts.
async function post(body, target, options, opts, expiresAt, trace) {
  const doFetch = options.fetch ?? opts.fetch ?? globalThis.fetch;
  const policy = retryPolicy(options.retry ?? opts.retry);
  const { signal } = options;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    let outcome;
    const headers = { "Content-Type": "application/json", ...options.headers };
    const span = trace ? trace.attempt(headers) : undefined;
    try {
      const response = await doFetch(target, {
        method: "POST",
        headers,
        body,
        ...(signal ? { signal } : {}),
      });
      outcome = await readAnswer(response);
    } catch (cause) {
      signal?.throwIfAborted();
      // A network failure (fetch's TypeError, node-fetch's FetchError, a socket's code, a
      // timeout) tells nothing of the outcome; anything else a custom fetch throws is its answer.
      outcome = { retry: isTransportFailure(cause), error: new JazzRequestError("Request failed: the server could not be reached", 503, undefined, { cause, reason: "ERR_NETWORK" }) };
    }
    if (trace) trace.attemptEnd(span, outcome);
    if (!outcome.retry) {
      if (outcome.error) {
        outcome.error.attempts = attempt;
        throw outcome.error;
      }
      return outcome.payload;
    }
    const failure = outcome.error;
    const delay = policy ? delayBefore(attempt, policy, outcome) : Infinity;
    // Never past the budget; never past the body's window, but for polling a running
    // copy (its answer will be stored). A body already past its window is sent once:
    // a stored answer still answers it.
    const pastWindow = outcome.status !== 409 && opts.now() + delay > expiresAt - WINDOW_MARGIN_MS;
    const late = Date.now() + delay - started > policy?.budgetMs || pastWindow;
    if (!policy || attempt >= policy.attempts || late) {
      failure.attempts = attempt;
      throw failure;
    }
    await sleep(delay, signal);
  }
}

function isTransportFailure(cause) {
  try {
    if (cause instanceof TypeError) return true;
    const name = cause?.name;
    if (name === "FetchError" || name === "TimeoutError" || name === "NetworkError") return true;
    return typeof cause?.code === "string" && /^(E[A-Z_]+|UND_ERR[A-Z_]*)$/.test(cause.code);
  } catch {
    return false;
  }
}

/**
 * One answer read in full: { payload } (a success's payload text), { error } (the
 * outcome: a refusal, the handler's error), or { retry: true, error } when it tells
 * nothing of the outcome (a busy or unavailable server, a cut or unparsable answer).
 */
async function readAnswer(response) {
  const retryAfter = retryAfterMs(response);
  let text;
  try {
    text = await response.text();
  } catch (cause) {
    return { retry: true, retryAfter, error: new JazzRequestError("Response could not be read in full", 502, undefined, { cause, reason: "ERR_RESPONSE_INCOMPLETE" }) };
  }
  const jazzError = response.headers.has("X-Jazz-Request-Error");
  if (response.ok && !jazzError) {
    try {
      const parsed = JSON.parse(text);
      if (parsed?.type !== "success" || typeof parsed.payload !== "object" || parsed.payload === null) throw new Error("not a success payload");
      return { payload: JSON.stringify(parsed.payload) };
    } catch (cause) {
      return { retry: true, retryAfter, error: new JazzRequestError("Response payload is not valid", 502, undefined, { cause, reason: "ERR_RESPONSE_INCOMPLETE" }) };
    }
  }
  const status = response.status;
  if (jazzError) {
    let parsed;
    try {
      parsed = JSON.parse(text);
      if (typeof parsed?.message !== "string") throw new Error("no message");
    } catch (cause) {
      // A jazzrpc error whose body was cut: what it said is unknown, so it is asked again.
      return { retry: true, retryAfter, status, error: new JazzRequestError("Request failed: its answer could not be read", status, undefined, { cause, reason: "ERR_RESPONSE_INCOMPLETE" }) };
    }
    const code = Number.isInteger(parsed.code) ? parsed.code : status;
    const reason = typeof parsed.reason === "string" ? parsed.reason : undefined;
    const error = new JazzRequestError(parsed.message, code, parsed.details, { reason: reason ?? "ERR_HANDLER" });
    return { retry: RETRYABLE.has(status), retryAfter, status, error };
  }
  const error = new JazzRequestError("Request failed", status, undefined, { reason: RETRYABLE.has(status) ? "ERR_NETWORK" : "ERR_HTTP" });
  return { retry: RETRYABLE.has(status), retryAfter, status, error };
}

// The wait before attempt + 1: a 409 is polled at the server's Retry-After (the first
// copy is running); otherwise "equal jitter" over base * 2^(attempt - 1), capped (half
// the ceiling, plus up to half at random, so that the attempts always span the
// budget), and never less than Retry-After.
function delayBefore(attempt, policy, outcome) {
  if (outcome.status === 409) return Math.max(outcome.retryAfter, policy.baseDelayMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.max(ceiling / 2 + (Math.random() * ceiling) / 2, outcome.retryAfter ?? 0);
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
