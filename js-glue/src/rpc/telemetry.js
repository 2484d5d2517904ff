// OpenTelemetry traces and metrics, through `@opentelemetry/api` (an optional peer
// dependency) and nothing else: the app registers its providers (the SDK, exporters);
// jazzrpc only asks the api for a tracer and a meter.
//
// How the api is found, so that no bundle breaks when it is absent:
// - Node and Deno: their entries register a loader (a dynamic import with a computed
//   specifier, which bundlers leave alone), run once, on the first handle() or send().
//   If it cannot be imported, nothing is recorded and the loader is never run again.
// - Everywhere (Workers, browsers, bundles): instrument(api) hands the module over; no
//   import of it anywhere in jazzrpc (Miniflare refuses computed import() in a Worker).
//
// Cost: with no api (or before instrument()), serve() and deliver() check one
// variable, `telemetryOff`, per request. With the api but no provider registered, one
// look at the api's global providers per request, and the plain path.
//
// What a request records (names stable; README "Telemetry"):
//   span jazzrpc.handle (server) > jazzrpc.verify, jazzrpc.guard.claim, jazzrpc.handler,
//     jazzrpc.sign, jazzrpc.guard.complete (or .lookup, .release, .transaction);
//     attributes jazzrpc.route, jazzrpc.request_id, http.response.status_code,
//     jazzrpc.reason (a refusal's: ERR_SCHEMA for a schema failure), jazzrpc.replayed.
//     The handler and the guard run in their span's context (their own spans nest).
//   span jazzrpc.send (client) > jazzrpc.attempt per POST (jazzrpc.attempt: its number)
//   metrics: see instrumentsOf().

import { JazzRequestError } from "./request-error.js";

const NAME = "jazzrpc";

/** True while there is nothing to record: no api given, and no loader left to try. The hot path checks only this. */
export let telemetryOff = true;

let api; // @opentelemetry/api: undefined until given or loaded, null when it could not be loaded
let loader = null; // Node/Deno: () => import("@opentelemetry/api")
let loading = null; // the loader's one promise

/**
 * Hands jazzrpc the `@opentelemetry/api` module (import * as api from "@opentelemetry/api"):
 * the way for Workers, browsers and bundles; on Node and Deno it is loaded by itself when
 * installed. Returns the api given. instrument(null) turns telemetry off.
 */
export function instrument(otelApi) {
  if (otelApi === null || otelApi === false) {
    api = null;
    loader = null;
    telemetryOff = true;
    return otelApi;
  }
  const candidate = otelApi?.trace ? otelApi : otelApi?.default;
  if (!candidate || typeof candidate.trace?.getTracerProvider !== "function" || typeof candidate.metrics?.getMeterProvider !== "function" || typeof candidate.context?.with !== "function") {
    throw new TypeError('jazzrpc: instrument() takes the @opentelemetry/api module: import * as api from "@opentelemetry/api"; instrument(api)');
  }
  api = candidate;
  loader = null;
  telemetryOff = false;
  return otelApi;
}

/** The Node and Deno entries: how to import `@opentelemetry/api`, tried once on first use. */
export function useTelemetryLoader(load) {
  if (api !== undefined || typeof load !== "function") return;
  loader = load;
  telemetryOff = false;
}

function loadApi() {
  if (api !== undefined || loader === null) return api ?? null;
  loading ??= loader().then(
    (module) => {
      if (api === undefined) api = module?.trace ? module : module?.default?.trace ? module.default : null;
    },
    () => {
      if (api === undefined) api = null; // not installed: nothing is recorded, ever
    },
  ).then(() => {
    loader = null;
    if (api === null) telemetryOff = true;
  });
  return loading.then(() => api);
}

// ---- the providers the app registered, looked at per request -----------------------------

let cached = { tracerKey: undefined, meterProvider: undefined, api: undefined, recorder: undefined };

/** The recorder for the providers registered now, or undefined when none is (nothing recorded). */
function currentRecorder() {
  if (!api) return undefined;
  const tracerProvider = api.trace.getTracerProvider();
  // The api's ProxyTracerProvider: what it delegates to is the provider the app registered.
  const tracerKey = typeof tracerProvider.getDelegate === "function" ? tracerProvider.getDelegate() : tracerProvider;
  const meterProvider = api.metrics.getMeterProvider();
  if (tracerKey !== cached.tracerKey || meterProvider !== cached.meterProvider || api !== cached.api) {
    cached = { tracerKey, meterProvider, api, recorder: recorderOf(tracerProvider, meterProvider) };
  }
  return cached.recorder;
}

function recorderOf(tracerProvider, meterProvider) {
  // No delegate: no provider registered, so no tracer (the api's would only make no-op spans).
  const tracer = typeof tracerProvider.getDelegateTracer === "function" ? tracerProvider.getDelegateTracer(NAME) : tracerProvider.getTracer(NAME);
  let meter = meterProvider.getMeter(NAME);
  if (typeof api.createNoopMeter === "function" && meter === api.createNoopMeter()) meter = undefined;
  if (!tracer && !meter) return undefined;
  return { api, tracer, metrics: meter ? instrumentsOf(meter) : undefined };
}

// Guard latency buckets, in seconds: from 50 µs (memory) to 5 s (guardTimeoutMs's default).
const GUARD_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const BYTES_BUCKETS = [128, 256, 512, 1024, 4096, 16384, 65536, 262144, 1048576];

function instrumentsOf(meter) {
  return {
    requests: meter.createCounter("jazzrpc.server.requests", { description: "Requests answered by handle(), by route, status, reason and replayed" }),
    replays: meter.createCounter("jazzrpc.server.replays", { description: "Requests answered from a stored answer (X-Jazz-Replayed)" }),
    conflicts: meter.createCounter("jazzrpc.server.conflicts", { description: "409 ERR_BEING_HANDLED: a copy of the request arrived while the first ran" }),
    rateLimited: meter.createCounter("jazzrpc.server.rate_limited", { description: "429 ERR_RATE_LIMITED answers" }),
    guard: meter.createHistogram("jazzrpc.guard.duration", { unit: "s", description: "Time of a replay guard's operation (claim, complete, lookup, release, transaction)", advice: { explicitBucketBoundaries: GUARD_BUCKETS } }),
    stored: meter.createHistogram("jazzrpc.server.stored_answer.size", { unit: "By", description: "Bytes of the answers stored for their request ids", advice: { explicitBucketBoundaries: BYTES_BUCKETS } }),
    sends: meter.createCounter("jazzrpc.client.requests", { description: "send() and deliver() outcomes, by route, status and reason" }),
    attempts: meter.createCounter("jazzrpc.client.attempts", { description: "POSTs made by send() and deliver(), retries included" }),
  };
}

const now = () => (typeof performance !== "undefined" ? performance.now() : Date.now());

// Metric attributes, made once per distinct set (routes, operations, statuses and reasons
// are few) and frozen: a metric point per request allocates no object.
const attributeSets = new Map();
function attributesOf(...pairs) {
  const key = pairs.join("\u0000");
  let attributes = attributeSets.get(key);
  if (attributes === undefined) {
    attributes = {};
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i + 1] !== undefined) attributes[pairs[i]] = pairs[i + 1];
    Object.freeze(attributes);
    if (attributeSets.size < 10_000) attributeSets.set(key, attributes);
  }
  return attributes;
}
const SPAN_KIND_SERVER = 1;
const SPAN_KIND_CLIENT = 2;
const SPAN_KIND_INTERNAL = 0;
const STATUS_ERROR = 2;

/** What a thrown value is answered as: JazzRequestError's code and reason, else 500 ERR_INTERNAL (answer.js). */
function outcomeOfError(error) {
  try {
    if (error instanceof JazzRequestError) return { status: error.code, reason: error.reason ?? "ERR_HANDLER" };
  } catch {
    // a Proxy whose traps throw: answered 500
  }
  return { status: 500, reason: "ERR_INTERNAL" };
}

/** An answer's status, reason (from an error answer's JSON) and whether it was replayed. */
function outcomeOfAnswer(answer) {
  const status = answer?.status ?? 500;
  const headers = answer?.headers ?? {};
  const replayed = headers["X-Jazz-Replayed"] === "true";
  let reason;
  if (headers["X-Jazz-Request-Error"] === "true") {
    try {
      reason = JSON.parse(answer.body).reason ?? "ERR_HANDLER";
    } catch {
      reason = "ERR_INTERNAL";
    }
  }
  return { status, reason, replayed };
}

/** fn()'s value, or undefined when it throws: telemetry never turns an answer into a failure. */
function safely(fn) {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

/** Runs fn (sync or async) as a child span of a trace; `trace` undefined: fn() alone. */
export function step(trace, name, fn) {
  return trace === undefined ? fn() : trace.step(name, fn);
}

class RequestTrace {
  recording = false; // the request's span is kept (sampled): its steps get child spans
  constructor(recorder, attributes, kind, name) {
    this.recorder = recorder;
    this.api = recorder.api;
    this.attributes = attributes;
    const parent = this.api.context.active();
    if (recorder.tracer) {
      const nested = kind === SPAN_KIND_SERVER && this.api.trace.getSpan(parent) !== undefined;
      this.span = recorder.tracer.startSpan(name, { kind: nested ? SPAN_KIND_INTERNAL : kind, attributes }, parent);
      this.recording = this.span.isRecording?.() !== false;
      this.context = this.api.trace.setSpan(parent, this.span);
    } else {
      this.context = parent;
    }
  }

  /** Sets an attribute on the request's span. */
  set(key, value) {
    this.span?.setAttribute(key, value);
  }

  /** A child span around fn (sync or async); a guard's operation also goes to jazzrpc.guard.duration. */
  step(name, fn) {
    const guard = name.startsWith("guard.");
    const timed = guard && this.recorder.metrics !== undefined;
    const started = timed ? now() : 0;
    // A request span that is not recording (sampled out) gets no children: nothing would keep them.
    const span = this.recording ? safely(() => this.recorder.tracer.startSpan(`jazzrpc.${name}`, { kind: SPAN_KIND_INTERNAL }, this.context)) : undefined;
    const done = (error) => safely(() => {
      if (timed) {
        this.recorder.metrics.guard.record((now() - started) / 1000, attributesOf("jazzrpc.route", this.attributes["jazzrpc.route"], "jazzrpc.guard.operation", name.slice(6)));
      }
      if (span === undefined) return;
      if (error !== undefined) {
        const { reason } = outcomeOfError(error);
        span.setAttribute("jazzrpc.reason", reason);
        span.setStatus({ code: STATUS_ERROR, message: reason });
        if (reason === "ERR_INTERNAL" && error instanceof Error) span.recordException(error);
      }
      span.end();
    });
    let result;
    try {
      // The handler's and the guard's own spans (an app's, a database client's) nest under theirs.
      result = span === undefined || !(guard || name === "handler") ? fn() : this.api.context.with(this.api.trace.setSpan(this.context, span), fn);
    } catch (error) {
      done(error);
      throw error;
    }
    if (typeof result?.then !== "function") {
      done(undefined);
      return result;
    }
    return result.then(
      (value) => {
        done(undefined);
        return value;
      },
      (error) => {
        done(error);
        throw error;
      },
    );
  }

  /** The answer's size, when it is stored for its id. */
  stored(bytes) {
    this.recorder.metrics?.stored.record(bytes, attributesOf("jazzrpc.route", this.attributes["jazzrpc.route"]));
  }
}

class ServerTrace extends RequestTrace {
  /** The request's id, once its signature is checked. */
  identify(id) {
    this.set("jazzrpc.request_id", id);
  }

  end({ status, reason, replayed }) {
    const route = this.attributes["jazzrpc.route"];
    if (this.span) {
      this.span.setAttribute("http.response.status_code", status);
      this.span.setAttribute("jazzrpc.replayed", replayed);
      if (reason !== undefined) this.span.setAttribute("jazzrpc.reason", reason);
      if (status >= 500) this.span.setStatus({ code: STATUS_ERROR, message: reason });
      this.span.end();
    }
    const m = this.recorder.metrics;
    if (m === undefined) return;
    m.requests.add(1, attributesOf("jazzrpc.route", route, "http.response.status_code", status, "jazzrpc.replayed", replayed, "jazzrpc.reason", reason));
    if (replayed) m.replays.add(1, attributesOf("jazzrpc.route", route, "http.response.status_code", status));
    if (status === 409 && reason === "ERR_BEING_HANDLED") m.conflicts.add(1, attributesOf("jazzrpc.route", route));
    if (status === 429 && reason === "ERR_RATE_LIMITED") m.rateLimited.add(1, attributesOf("jazzrpc.route", route));
  }
}

/**
 * serve(), traced: run(trace) is the request's path; trace is undefined when no provider
 * is registered (the plain path). Resolves or rejects as run does.
 */
export async function traceServe(path, run) {
  const loaded = loadApi();
  if (typeof loaded?.then === "function") await loaded;
  const recorder = currentRecorder();
  const trace = recorder === undefined ? undefined : safely(() => new ServerTrace(recorder, { "jazzrpc.route": path }, SPAN_KIND_SERVER, "jazzrpc.handle"));
  if (trace === undefined) return run(undefined);
  let answer;
  try {
    answer = await recorder.api.context.with(trace.context, run, undefined, trace);
  } catch (error) {
    safely(() => trace.end({ ...outcomeOfError(error), replayed: false }));
    throw error;
  }
  safely(() => trace.end(outcomeOfAnswer(answer)));
  return answer;
}

class SendTrace extends RequestTrace {
  attempts = 0;
  open = undefined; // the attempt in flight

  /** One POST: its span (a child of send's), with the trace context injected into its headers. */
  attempt(headers) {
    this.attempts++;
    this.recorder.metrics?.attempts.add(1, attributesOf("jazzrpc.route", this.attributes["jazzrpc.route"]));
    if (!this.recorder.tracer) return undefined;
    return safely(() => {
      const span = this.recorder.tracer.startSpan("jazzrpc.attempt", { kind: SPAN_KIND_CLIENT, attributes: { "jazzrpc.attempt": this.attempts } }, this.context);
      this.open = span;
      this.api.propagation?.inject(this.api.trace.setSpan(this.context, span), headers);
      return span;
    });
  }

  /** An attempt's outcome: { payload } or { error, retry, status }. */
  attemptEnd(span, outcome) {
    if (span === undefined) return;
    this.open = undefined;
    safely(() => this.#endAttempt(span, outcome));
  }

  #endAttempt(span, outcome) {
    if (outcome.error) {
      const { status, reason } = outcomeOfError(outcome.error);
      span.setAttribute("http.response.status_code", outcome.status ?? status);
      span.setAttribute("jazzrpc.reason", reason);
      span.setAttribute("jazzrpc.retried", outcome.retry === true);
      span.setStatus({ code: STATUS_ERROR, message: reason });
    } else {
      span.setAttribute("http.response.status_code", 200);
    }
    span.end();
  }

  end(error) {
    if (this.open !== undefined) this.attemptEnd(this.open, { error }); // aborted while it was in flight
    const route = this.attributes["jazzrpc.route"];
    const { status, reason } = error === undefined ? { status: 200, reason: undefined } : outcomeOfError(error);
    if (this.span) {
      this.span.setAttribute("jazzrpc.attempts", this.attempts);
      this.span.setAttribute("http.response.status_code", status);
      if (reason !== undefined) {
        this.span.setAttribute("jazzrpc.reason", reason);
        this.span.setStatus({ code: STATUS_ERROR, message: reason });
      }
      this.span.end();
    }
    this.recorder.metrics?.sends.add(1, attributesOf("jazzrpc.route", route, "http.response.status_code", status, "jazzrpc.reason", reason));
  }
}

/**
 * deliver(), traced: run(trace) posts the body; trace is null when no provider is
 * registered (the plain path, never traced again).
 */
export async function traceSend(path, requestId, run) {
  const loaded = loadApi();
  if (typeof loaded?.then === "function") await loaded;
  const recorder = currentRecorder();
  const attributes = { "jazzrpc.route": path };
  if (typeof requestId === "string") attributes["jazzrpc.request_id"] = requestId;
  const trace = recorder === undefined ? undefined : safely(() => new SendTrace(recorder, attributes, SPAN_KIND_CLIENT, "jazzrpc.send"));
  if (trace === undefined) return run(null);
  let value;
  try {
    value = await recorder.api.context.with(trace.context, run, undefined, trace);
  } catch (error) {
    safely(() => trace.end(error));
    throw error;
  }
  safely(() => trace.end(undefined));
  return value;
}
