// OpenTelemetry in a Worker: the bundle carries @opentelemetry/api and the SDK; jazzrpc is
// handed the api with instrument(api) (it imports nothing by itself on Workers). Spans go to
// the SDK's InMemorySpanExporter and metrics to a pull MetricReader; GET /telemetry gives
// them to the test (and forgets the spans). POST /instrument?steps=1 calls
// instrument(api, { steps: true }) (steps=0: instrument(api), the default).
import * as otel from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { Account, defineRequest, durableObjectReplayGuard, instrument } from "jazzrpc/cloudflare";
export { ReplayGuardDurableObject } from "jazzrpc/cloudflare";

const spans = new InMemorySpanExporter();
otel.trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
class PullReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}
const reader = new PullReader();
otel.metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
instrument(otel);

// { eventId: string }, as a Standard Schema (no validation library in this bundle).
const booking = {
  "~standard": {
    version: 1,
    vendor: "test",
    validate: (value) => (typeof value?.eventId === "string" ? { value } : { issues: [{ message: "eventId must be a string", path: ["eventId"] }] }),
  },
};
const ticket = { "~standard": { version: 1, vendor: "test", validate: (value) => ({ value }) } };

export default {
  async fetch(request, env) {
    const { pathname, searchParams } = new URL(request.url);
    if (pathname === "/instrument" && request.method === "POST") {
      instrument(otel, { steps: searchParams.get("steps") === "1" });
      return new Response(null, { status: 204 });
    }
    if (pathname === "/telemetry") {
      const finished = spans.getFinishedSpans().map((s) => ({
        name: s.name,
        id: s.spanContext().spanId,
        parent: s.parentSpanContext?.spanId ?? null,
        kind: s.kind,
        status: s.status.code,
        attributes: s.attributes,
      }));
      spans.reset();
      const { resourceMetrics } = await reader.collect();
      const metrics = {};
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          metrics[metric.descriptor.name] = metric.dataPoints.map((p) => ({ attributes: p.attributes, value: typeof p.value === "number" ? p.value : { count: p.value.count, sum: p.value.sum } }));
        }
      }
      return Response.json({ spans: finished, metrics });
    }
    const worker = Account.fromSecret(env.JAZZ_WORKER_SECRET);
    const route = defineRequest({ url: "/api/book", workerId: worker.id, request: booking, response: ticket });
    return route.handle(request, worker, ({ eventId }) => ({ ticketId: `${eventId}-1` }), { replayGuard: durableObjectReplayGuard(env.REPLAY_GUARD) });
  },
};
