// The server path, once per request, no step repeated: the method, the body (size
// limit, deadline) -> the core's verdict (parse, canonical text, hash, signature, time
// window, route and worker binding) -> the request schema -> the id's life (once.js:
// claim, run the handler with its context, answer signed by the worker, stored for
// the copies) -> the answer. Every check that can fail runs before the claim, so a
// body that fails one cannot burn its id.

import { getCore, ready } from "../core/wasm.js";
import { JazzRequestError, isJazzRequestError } from "./request-error.js";
import { usesCoValues, validate, validateSync } from "./schema.js";
import { readBody } from "./body.js";
import { isJazzAccount, signerOf } from "./account.js";
import { reasonOfCode } from "./reasons.js";
import { idempotencyKeyOf, randomNonce } from "./nonce.js";
import { answerOf, successAnswer } from "./answer.js";
import { answerInAsyncTransaction, answerInTransaction, answerThroughGuard, handlerAnswer, storedAnswerOf } from "./once.js";
import { report } from "./answer.js";
import { describeStatus } from "../core/errors.js";
import { step, telemetryOff, traceServe } from "./telemetry.js";
import { rateLimitOf } from "./rate-limit.js";

/** A refused verdict as the JazzRequestError handle() answers with (status and message from the core's table). */
export function rejection(verdict) {
  const reason = reasonOfCode(verdict.code);
  if (reason === "ERR_BAD_SIGNATURE") return new JazzRequestError("Invalid signature", 401, undefined, { reason });
  return new JazzRequestError(verdict.message, verdict.status, undefined, { reason });
}


/**
 * Where a request comes from: its method, its body read with a size limit and a
 * deadline, and the Request itself for the handler's context. A standard Request, or a
 * platform's own (toNodeListener: the IncomingMessage, with no Request made unless the
 * handler reads context.request).
 * @typedef {{ method: string, read: (maxBytes: number, timeoutMs: number) => Promise<Uint8Array>, readonly request: Request }} RequestSource
 */

/** The source of a standard Request. */
export function sourceOfRequest(request) {
  return { method: request?.method, read: (maxBytes, timeoutMs) => readBody(request, maxBytes, timeoutMs), request };
}

/**
 * The method, the body (size limit, deadline), then the core's verdict on it:
 * jazz-tools' format for a jazz-tools worker, ours otherwise.
 * @param {RequestSource} source
 */
export async function readAndVerify(route, source, jazzWorker, opts, { pastWindow = false } = {}) {
  if (source.method !== "POST") throw new JazzRequestError("Method not allowed: use POST", 405, undefined, { reason: "ERR_METHOD" });
  const body = await source.read(opts.maxBodyBytes, opts.bodyTimeoutMs);
  const core = getCore();
  const now = opts.now();
  const limits = { now, window: opts.window, skew: opts.skew, maxBytes: opts.maxBodyBytes, maxDepth: opts.maxDepth };
  const check = (at) =>
    jazzWorker
      ? core.verifyJazzMessage(body, { ...limits, now: at })
      : core.verifyMessage(body, { kind: "request", url: route.path, workerId: route.workerId() }, { ...limits, now: at });
  const verdict = check(now);
  if (verdict.ok) return { body, verdict, expired: false };
  // A body past its window may still have a stored answer (answerTtlMs): every other
  // check is made as of its own time, and the caller only looks its answer up.
  if (pastWindow && verdict.code === "ERR_EXPIRED" && Number.isFinite(verdict.createdAt) && now - (verdict.createdAt + opts.window) <= opts.answerTtlMs) {
    const asOfThen = check(verdict.createdAt);
    if (asOfThen.ok) return { body, verdict: asOfThen, expired: true };
  }
  throw rejection(verdict);
}

/** The request's value, checked against the request schema (400 ERR_SCHEMA). */
export async function requestValue(route, verdict) {
  try {
    return await validate(route.request, verdict.value, "Request payload is not valid", 400);
  } catch (error) {
    if (error instanceof JazzRequestError) error.reason ??= "ERR_SCHEMA";
    throw error;
  }
}

/**
 * handle(): the answer ({ status, headers, body }) to one request. `route` is the
 * route's server view: { path, workerId(), request, response, opts, loadJazzPath,
 * defaultGuard() }; `source` a RequestSource.
 */
export function serve(route, source, worker, handler, opts) {
  // OpenTelemetry (telemetry.js): one check per request while @opentelemetry/api is absent.
  if (telemetryOff) return serveRequest(route, source, worker, handler, opts, undefined);
  return traceServe(route.path, (trace) => serveRequest(route, source, worker, handler, opts, trace));
}

async function serveRequest(route, source, worker, handler, opts, trace) {
  await ready();
  const jazzWorker = isJazzAccount(worker);
  if (!jazzWorker && (!worker || typeof worker.secret !== "string" || worker.id !== route.workerId())) {
    throw new Error(`handle(): the worker given is not the route's worker ${route.workerId()}`);
  }
  if (typeof handler !== "function") throw new TypeError("handle(): the handler must be a function");
  const { body, verdict, expired } = await step(trace, "verify", () => readAndVerify(route, source, jazzWorker, opts, { pastWindow: opts.duplicates !== "reject" }));
  const info = { route: route.path, requestId: verdict.id };
  trace?.identify(verdict.id);
  // An idempotency key, inside the signed request: claimed per worker, route and signer.
  const key = jazzWorker ? undefined : idempotencyKeyOf(body);
  const claimId = key === undefined ? verdict.id : `idem:${verdict.madeBy}:${route.path}:${key}`;
  const keyed =
    key === undefined
      ? undefined
      : {
          fingerprint: getCore().secureHash(JSON.stringify(verdict.value)),
          answerFor: (stored) => answerForThisRequest(route, worker, verdict, opts, stored),
        };
  if (expired) {
    // Its answer, stored while it was in its window; else refused as expired. Never run.
    const guard = opts.exactlyOnce ? undefined : (opts.replayGuard ?? worker.replayGuard ?? route.defaultGuard());
    let stored = null;
    try {
      stored = await step(trace, "guard.lookup", () => storedAnswerOf({ guard, store: opts.exactlyOnce, id: claimId, opts, keyed }));
    } catch (error) {
      if (error instanceof JazzRequestError) throw error;
      report(opts, error, { ...info, status: 401, reason: "ERR_EXPIRED" });
    }
    if (stored) return stored;
    throw rejection({ code: "ERR_EXPIRED", ...describeStatus(6) });
  }

  let jazz;
  let jazzRequest;
  if (jazzWorker) {
    jazz = await route.loadJazzPath();
    jazzRequest = await jazz.verifyJazzRequest({ bodyText: new TextDecoder().decode(body), verdict, worker, request: route.request });
  } else if (usesCoValues(route.request) || usesCoValues(route.response)) {
    throw new Error("handle(): CoValue schemas need a jazz-tools Account as worker");
  }
  const value = jazzWorker ? undefined : await requestValue(route, verdict);
  const madeBy = jazzWorker ? jazzRequest.madeBy : Object.freeze({ id: verdict.madeBy, signerID: verdict.signerID });
  // The verified signer's rate limit, counted by the guard with the claim (rate-limit.js).
  let rate = opts.rateLimit === undefined ? null : rateLimitOf(opts.rateLimit, madeBy, jazzWorker ? jazzRequest.value : value, route.path);
  if (typeof rate?.then === "function") rate = await rate; // an async rateLimit function

  const contextOf = (tx) => handlerContext({ source, id: verdict.id, env: opts.env, ctx: opts.ctx, tx });

  if (opts.exactlyOnce) {
    if (jazzWorker) throw new TypeError("handle(): exactlyOnce runs plain handlers; the jazz-tools path is not transactional");
    const store = opts.exactlyOnce;
    const once = { store, id: claimId, expiresAt: verdict.expiresAt, opts, info, trace, keyed, rate };
    if (store.kind === "async") {
      return answerInAsyncTransaction({ ...once, execute: (tx) => runToAnswer(route, worker, verdict, opts, trace, () => handler(value, madeBy, contextOf(tx))) });
    }
    return answerInTransaction({ ...once, execute: () => runSyncToAnswer(route, worker, verdict, opts, trace, () => handler(value, madeBy, contextOf(undefined))) });
  }

  const execute = jazzWorker
    ? async () =>
        answerOf(
          await jazz.handleJazzRequest({
            ...jazzRequest,
            worker,
            handler: (v, m) => callHandler(() => step(trace, "handler", () => handler(v, m, contextOf(undefined)))),
            response: route.response,
            now: opts.now,
          }),
        )
    : () => runToAnswer(route, worker, verdict, opts, trace, () => handler(value, madeBy, contextOf(undefined)));
  const guard = opts.replayGuard ?? worker.replayGuard ?? route.defaultGuard();
  return answerThroughGuard({ guard, id: claimId, expiresAt: verdict.expiresAt, opts, info, trace, execute, keyed, rate });
}

// A stored answer given to another request under the same idempotency key: a success
// is signed again for this request (the client checks that it answers its own id).
function answerForThisRequest(route, worker, verdict, opts, stored) {
  if (stored.status !== 200) return stored;
  const value = JSON.parse(stored.body).payload.contentPieces[0].value;
  return signAnswer(route, worker, verdict, value, opts);
}

/** What a handler gets as its third argument. */
function handlerContext({ source, id, env, ctx, tx }) {
  const context = { id, env, ctx };
  // The Request, made only when the handler reads it (toNodeListener's path makes none otherwise).
  Object.defineProperty(context, "request", { get: () => source.request, enumerable: true });
  if (tx !== undefined) context.tx = tx;
  return Object.freeze(context);
}

// The handler's answer: its value checked against the response schema and signed by
// the worker, or its own JazzRequestError's answer.
async function runToAnswer(route, worker, verdict, opts, trace, call) {
  let result;
  try {
    result = await callHandler(() => step(trace, "handler", call));
  } catch (error) {
    if (error instanceof JazzRequestError && error.fromHandler) return handlerAnswer(error);
    throw error;
  }
  const responseValue = await validateResult(route.response, result);
  return step(trace, "sign", () => signAnswer(route, worker, verdict, responseValue, opts));
}

// The same, synchronously, inside a storage transaction (exactlyOnce(ctx)).
function runSyncToAnswer(route, worker, verdict, opts, trace, call) {
  let result;
  try {
    result = step(trace, "handler", call);
    if (typeof result?.then === "function") {
      result.then?.(undefined, () => {});
      throw new TypeError("exactlyOnce: the handler must be synchronous (no await between the claim and the commit)");
    }
  } catch (error) {
    const known = handlerError(error);
    if (!(known instanceof JazzRequestError)) throw known; // rolled back: nothing happened
    return handlerAnswer(known); // the handler's own answer: stored with its writes (details that are not JSON: rolled back)
  }
  let responseValue;
  try {
    responseValue = validateSync(route.response, result ?? {}, "Response payload is not valid", 500);
  } catch (error) {
    throw new Error("handler returned a value that does not match the response schema", { cause: error });
  }
  return step(trace, "sign", () => signAnswer(route, worker, verdict, responseValue, opts));
}

// The answer: the response value signed by the worker, naming the request it answers.
function signAnswer(route, worker, verdict, responseValue, opts) {
  const payload = getCore().signMessage(signerOf(worker), {
    kind: "response",
    url: route.path,
    workerId: route.workerId(),
    inResponseTo: verdict.id,
    nonce: randomNonce(),
    value: responseValue,
    createdAt: opts.now(),
  });
  return successAnswer(payload);
}

/** The value the handler returned, checked against the response schema (500 when it does not match). */
async function validateResult(definition, result) {
  try {
    return await validate(definition, result ?? {}, "Response payload is not valid", 500);
  } catch (error) {
    throw new Error("handler returned a value that does not match the response schema", { cause: error });
  }
}

// Runs the handler; a JazzRequestError (ours, jazz-tools', or its { message, code }
// shape) it throws becomes the answer, read here once into plain values (its
// getters may throw, its details may not serialise: answer.js checks that).
async function callHandler(call) {
  try {
    return await call();
  } catch (error) {
    throw handlerError(error);
  }
}

export function handlerError(error) {
  let known = false;
  try {
    known = isJazzRequestError(error);
  } catch {
    known = false; // a Proxy whose traps throw: not an answer we can read
  }
  if (!known) return error;
  try {
    const code = Number.isInteger(error.code) && error.code >= 400 && error.code <= 599 ? error.code : 500;
    const reason = typeof error.reason === "string" ? error.reason : "ERR_HANDLER";
    const answer = new JazzRequestError(String(error.message), code, error.details, { reason });
    answer.fromHandler = true;
    return answer;
  } catch (cause) {
    return new Error("the handler threw a JazzRequestError that cannot be read", { cause });
  }
}
