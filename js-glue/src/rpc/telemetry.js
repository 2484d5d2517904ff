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
//   span jazzrpc.handle (server), the whole request run in its context (the handler's own
//     spans nest under it); attributes jazzrpc.route, jazzrpc.request_id,
//     http.response.status_code, jazzrpc.reason (a refusal's: ERR_SCHEMA for a schema
//     failure), jazzrpc.replayed.
//   with instrument(api, { steps: true }) only: its children jazzrpc.verify,
//     jazzrpc.guard.claim, jazzrpc.handler, jazzrpc.sign, jazzrpc.guard.complete (or
//     .lookup, .release, .transaction); the handler and the guard run in their span's context.
//   span jazzrpc.send (client) > jazzrpc.attempt per POST (jazzrpc.attempt: its number)
//   metrics: see Metrics. Counts are jazzrpc's own numbers, read by the SDK through
//     observable counters when it collects: a request adds to two or three of them and
//     records a guard-latency point per guard operation (claim, complete), nothing else.

import { JazzRequestError } from "./request-error.js";

const NAME = "jazzrpc";

/** True while there is nothing to record: no api given, and no loader left to try. The hot path checks only this. */
export let telemetryOff = true;

let api; // @opentelemetry/api: undefined until given or loaded, null when it could not be loaded
let loader = null; // Node/Deno: () => import("@opentelemetry/api")
let loading = null; // the loader's one promise
let steps = false; // instrument(api, { steps: true }): a child span per step of handle()

/**
 * Hands jazzrpc the `@opentelemetry/api` module (import * as api from "@opentelemetry/api"):
 * the way for Workers, browsers and bundles; on Node and Deno it is loaded by itself when
 * installed. Returns the api given. instrument(null) turns telemetry off.
 * options.steps (default false): a child span of jazzrpc.handle for each step (verify,
 * guard.*, handler, sign); without it, jazzrpc.handle alone.
 */
export function instrument(otelApi, options = undefined) {
  if (options !== undefined && (options === null || typeof options !== "object")) {
    throw new TypeError("jazzrpc: instrument(api, options): options is an object, { steps: true } for a span per step");
  }
  if (options?.steps !== undefined && typeof options.steps !== "boolean") throw new TypeError("jazzrpc: instrument(api, { steps }): steps is true or false");
  if (otelApi === null || otelApi === false) {
    api = null;
    loader = null;
    telemetryOff = true;
    steps = false;
    return otelApi;
  }
  const candidate = otelApi?.trace ? otelApi : otelApi?.default;
  if (!candidate || typeof candidate.trace?.getTracerProvider !== "function" || typeof candidate.metrics?.getMeterProvider !== "function" || typeof candidate.context?.with !== "function") {
    throw new TypeError('jazzrpc: instrument() takes the @opentelemetry/api module: import * as api from "@opentelemetry/api"; instrument(api)');
  }
  api = candidate;
  loader = null;
  telemetryOff = false;
  steps = options?.steps === true;
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
  return { api, tracer, metrics: meter ? metricsOf(meterProvider, meter) : undefined };
}

// Guard latency buckets, in seconds: from 50 µs (memory) to 5 s (guardTimeoutMs's default).
const GUARD_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

// Distinct attribute sets kept per metric and route; past it, counted under
// { jazzrpc.route, otel.metric.overflow: true } (the SDK's own convention for its limit of
// 2,000 sets per instrument, which this stays under for a few routes).
const MAX_SETS = 500;

/** A count by attribute set: the attributes (frozen, made once) and the running total. */
class Cell {
  constructor(attributes) {
    this.attributes = Object.freeze(attributes);
    this.value = 0;
  }
}

/** A route's counts, each found by a small key made from the values that vary. */
class RouteCounts {
  constructor(route) {
    this.attributes = Object.freeze({ "jazzrpc.route": route });
    this.requests = new Map(); // `${status}|${replayed}|${reason}` -> Cell
    this.replays = new Map(); // status -> Cell
    this.conflicts = new Cell(this.attributes);
    this.rateLimited = new Cell(this.attributes);
    this.storedAnswers = new Cell(this.attributes);
    this.storedBytes = new Cell(this.attributes);
    this.sends = new Map(); // `${status}|${reason}` -> Cell
    this.attempts = new Cell(this.attributes);
    this.guard = new Map(); // "guard.<operation>" -> frozen attributes of jazzrpc.guard.duration
    this.overflow = undefined; // map -> its Cell past MAX_SETS
  }

  /** A new cell for key in map: the route's attributes and `extra`, or the map's overflow cell past MAX_SETS. */
  add(map, key, extra) {
    if (map.size >= MAX_SETS) {
      this.overflow ??= new Map();
      let cell = this.overflow.get(map);
      if (cell === undefined) this.overflow.set(map, (cell = new Cell({ ...this.attributes, "otel.metric.overflow": true })));
      return cell;
    }
    const cell = new Cell({ ...this.attributes, ...extra });
    map.set(key, cell);
    return cell;
  }

  /** jazzrpc.guard.duration's attributes for a step named "guard.<operation>". */
  guardAttributes(step) {
    let attributes = this.guard.get(step);
    if (attributes === undefined) {
      attributes = Object.freeze({ ...this.attributes, "jazzrpc.guard.operation": step.slice(6) });
      if (this.guard.size < 64) this.guard.set(step, attributes);
    }
    return attributes;
  }
}

/**
 * The metrics of one meter provider: jazzrpc's own counts, reported through observable
 * counters (the SDK hashes and aggregates them only when it collects), and the guard-latency
 * histogram (there is no observable histogram), recorded with one frozen attribute set per
 * route and operation. Made once per meter provider, so that a tracer provider changed
 * later does not register a second callback for the same instruments.
 */
class Metrics {
  routes = new Map(); // route path -> RouteCounts

  constructor(meter) {
    const counter = (name, description, unit) => meter.createObservableCounter(name, unit ? { description, unit } : { description });
    this.instruments = {
      requests: counter("jazzrpc.server.requests", "Requests answered by handle(), by route, status, reason and replayed"),
      replays: counter("jazzrpc.server.replays", "Requests answered from a stored answer (X-Jazz-Replayed)"),
      conflicts: counter("jazzrpc.server.conflicts", "409 ERR_BEING_HANDLED: a copy of the request arrived while the first ran"),
      rateLimited: counter("jazzrpc.server.rate_limited", "429 ERR_RATE_LIMITED answers"),
      storedAnswers: counter("jazzrpc.server.stored_answers", "Answers stored for their request ids"),
      storedBytes: counter("jazzrpc.server.stored_answer.bytes", "Bytes of the answers stored for their request ids, in total", "By"),
      sends: counter("jazzrpc.client.requests", "send() and deliver() outcomes, by route, status and reason"),
      attempts: counter("jazzrpc.client.attempts", "POSTs made by send() and deliver(), retries included"),
    };
    this.guard = meter.createHistogram("jazzrpc.guard.duration", { unit: "s", description: "Time of a replay guard's operation (claim, complete, lookup, release, transaction)", advice: { explicitBucketBoundaries: GUARD_BUCKETS } });
    const observables = Object.values(this.instruments);
    if (typeof meter.addBatchObservableCallback === "function") {
      meter.addBatchObservableCallback((observer) => this.#observe((instrument, value, attributes) => observer.observe(instrument, value, attributes)), observables);
    } else {
      // An older api: one callback per instrument, each reporting its own counts.
      for (const [name, instrument] of Object.entries(this.instruments)) {
        instrument.addCallback((result) => this.#observe((which, value, attributes) => which === instrument && result.observe(value, attributes), name));
      }
    }
  }

  /** Every count, as observe(instrument, value, attributes); only `only`'s when given. */
  #observe(observe, only = undefined) {
    const is = this.instruments;
    const each = (name, cells) => {
      if (only !== undefined && only !== name) return;
      for (const cell of cells) if (cell.value !== 0) observe(is[name], cell.value, cell.attributes);
    };
    for (const counts of this.routes.values()) {
      each("requests", counts.requests.values());
      each("replays", counts.replays.values());
      each("conflicts", [counts.conflicts]);
      each("rateLimited", [counts.rateLimited]);
      each("storedAnswers", [counts.storedAnswers]);
      each("storedBytes", [counts.storedBytes]);
      each("sends", counts.sends.values());
      each("attempts", [counts.attempts]);
      if (counts.overflow !== undefined) {
        const names = new Map([[counts.requests, "requests"], [counts.replays, "replays"], [counts.sends, "sends"]]);
        for (const [map, cell] of counts.overflow) each(names.get(map), [cell]);
      }
    }
  }

  /** The counts of a route (paths come from defineRequest, not from requests: few). */
  route(path) {
    let counts = this.routes.get(path);
    if (counts === undefined) {
      counts = new RouteCounts(path);
      this.routes.set(path, counts);
    }
    return counts;
  }
}

const metricsByProvider = new WeakMap();
function metricsOf(meterProvider, meter) {
  let metrics = metricsByProvider.get(meterProvider);
  if (metrics === undefined) {
    metrics = new Metrics(meter);
    metricsByProvider.set(meterProvider, metrics);
  }
  return metrics;
}

const now = typeof performance !== "undefined" && typeof performance.now === "function" ? performance.now.bind(performance) : Date.now;

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

/** Runs fn (sync or async) as a step of a request: a child span with steps on, a guard's time. `trace` undefined: fn() alone. */
export function step(trace, name, fn) {
  return trace === undefined ? fn() : trace.step(name, fn);
}

/** The spans' route attributes, made once per route path (startSpan copies them). */
const routeAttributes = new Map();
function routeAttributesOf(path) {
  let attributes = routeAttributes.get(path);
  if (attributes === undefined) {
    attributes = Object.freeze({ "jazzrpc.route": path });
    if (routeAttributes.size < 10_000) routeAttributes.set(path, attributes);
  }
  return attributes;
}

/** A step's span ended: its error's reason and status, when it threw. */
function endStep(span, error) {
  if (error !== undefined) {
    const { reason } = outcomeOfError(error);
    span.setAttribute("jazzrpc.reason", reason);
    span.setStatus({ code: STATUS_ERROR, message: reason });
    if (reason === "ERR_INTERNAL" && error instanceof Error) span.recordException(error);
  }
  span.end();
}

class RequestTrace {
  steps = false; // a child span per step: instrument(api, { steps: true }) and a recording (sampled) request span
  constructor(recorder, path, attributes, kind, name, withSteps) {
    this.recorder = recorder;
    this.api = recorder.api;
    this.counts = recorder.metrics?.route(path);
    const parent = this.api.context.active();
    if (recorder.tracer) {
      const nested = kind === SPAN_KIND_SERVER && this.api.trace.getSpan(parent) !== undefined;
      this.span = recorder.tracer.startSpan(name, { kind: nested ? SPAN_KIND_INTERNAL : kind, attributes }, parent);
      // A request span that is not recording (sampled out) gets no children: nothing would keep them.
      this.steps = withSteps && this.span.isRecording?.() !== false;
      this.context = this.api.trace.setSpan(parent, this.span);
    } else {
      this.context = parent;
    }
  }

  /** Sets an attribute on the request's span. */
  set(key, value) {
    this.span?.setAttribute(key, value);
  }

  /**
   * fn (sync or async) as a step: a child span when steps are on. A guard's operation also
   * goes to jazzrpc.guard.duration, steps or not (claim only vs claim and complete measured
   * the same within the bench's noise, about 1 %).
   */
  step(name, fn) {
    const timed = this.counts !== undefined && name.startsWith("guard.");
    if (!this.steps) return timed ? this.#timed(name, fn) : fn();
    const started = timed ? now() : 0;
    const span = safely(() => this.recorder.tracer.startSpan(`jazzrpc.${name}`, { kind: SPAN_KIND_INTERNAL }, this.context));
    const done = (error) => {
      if (timed) this.#record(name, started);
      if (span !== undefined) safely(() => endStep(span, error));
    };
    let result;
    try {
      // The handler's and the guard's own spans (an app's, a database client's) nest under theirs.
      result = span === undefined || !(name === "handler" || name.startsWith("guard.")) ? fn() : this.api.context.with(this.api.trace.setSpan(this.context, span), fn);
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

  /** fn timed into jazzrpc.guard.duration, no span: the default configuration's guard step. */
  #timed(name, fn) {
    const started = now();
    let result;
    try {
      result = fn();
    } catch (error) {
      this.#record(name, started);
      throw error;
    }
    if (typeof result?.then !== "function") {
      this.#record(name, started);
      return result;
    }
    return result.then(
      (value) => {
        this.#record(name, started);
        return value;
      },
      (error) => {
        this.#record(name, started);
        throw error;
      },
    );
  }

  #record(name, started) {
    try {
      this.recorder.metrics.guard.record((now() - started) / 1000, this.counts.guardAttributes(name));
    } catch {
      // a broken meter: the answer stands
    }
  }

  /** The answer's size, when it is stored for its id. */
  stored(bytes) {
    const c = this.counts;
    if (c === undefined) return;
    c.storedAnswers.value++;
    c.storedBytes.value += bytes;
  }
}

class ServerTrace extends RequestTrace {
  /** The request's id, once its signature is checked. */
  identify(id) {
    this.set("jazzrpc.request_id", id);
  }

  end({ status, reason, replayed }) {
    if (this.span) {
      this.span.setAttribute("http.response.status_code", status);
      this.span.setAttribute("jazzrpc.replayed", replayed);
      if (reason !== undefined) this.span.setAttribute("jazzrpc.reason", reason);
      if (status >= 500) this.span.setStatus({ code: STATUS_ERROR, message: reason });
      this.span.end();
    }
    const c = this.counts;
    if (c === undefined) return;
    const key = `${status}|${replayed}|${reason}`;
    (c.requests.get(key) ?? c.add(c.requests, key, reason === undefined ? { "http.response.status_code": status, "jazzrpc.replayed": replayed } : { "http.response.status_code": status, "jazzrpc.replayed": replayed, "jazzrpc.reason": reason })).value++;
    if (replayed) (c.replays.get(status) ?? c.add(c.replays, status, { "http.response.status_code": status })).value++;
    if (status === 409 && reason === "ERR_BEING_HANDLED") c.conflicts.value++;
    if (status === 429 && reason === "ERR_RATE_LIMITED") c.rateLimited.value++;
  }
}

/**
 * serve(), traced: run(trace) is the request's path, run in the context of the request's
 * span; trace is undefined when no provider is registered (the plain path). Resolves or
 * rejects as run does.
 */
export async function traceServe(path, run) {
  const loaded = loadApi();
  if (typeof loaded?.then === "function") await loaded;
  const recorder = currentRecorder();
  if (recorder === undefined) return run(undefined);
  let trace;
  try {
    trace = new ServerTrace(recorder, path, routeAttributesOf(path), SPAN_KIND_SERVER, "jazzrpc.handle", steps);
  } catch {
    return run(undefined); // a broken tracer: the request as without one
  }
  let answer;
  try {
    // The whole request in the span's context: the handler's own spans nest under jazzrpc.handle.
    answer = trace.span === undefined ? await run(trace) : await recorder.api.context.with(trace.context, run, undefined, trace);
  } catch (error) {
    safely(() => trace.end({ ...outcomeOfError(error), replayed: false }));
    throw error;
  }
  try {
    trace.end(outcomeOfAnswer(answer));
  } catch {
    // a broken tracer or meter: the answer stands
  }
  return answer;
}

class SendTrace extends RequestTrace {
  attempts = 0;
  open = undefined; // the attempt in flight

  /** One POST: its span (a child of send's), with the trace context injected into its headers. */
  attempt(headers) {
    this.attempts++;
    if (this.counts !== undefined) this.counts.attempts.value++;
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
    const c = this.counts;
    if (c === undefined) return;
    const key = `${status}|${reason}`;
    (c.sends.get(key) ?? c.add(c.sends, key, reason === undefined ? { "http.response.status_code": status } : { "http.response.status_code": status, "jazzrpc.reason": reason })).value++;
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
  const trace = recorder === undefined ? undefined : safely(() => new SendTrace(recorder, path, attributes, SPAN_KIND_CLIENT, "jazzrpc.send", false));
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
