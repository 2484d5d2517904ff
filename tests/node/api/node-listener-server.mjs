// A README-shaped node:http server (toNodeListener) in its own process, for the
// hostile-traffic tests: prints its port, then serves until killed. Routes:
// /api/echo (handle(), bodyTimeoutMs from BODY_TIMEOUT_MS) and /raw (a handler of the
// app's own that reads request.body as a stream, and cancels it after CANCEL_AFTER bytes).
import { createServer } from "node:http";
import { z } from "zod";
import { Account, defineRequest, toNodeListener } from "../../../js-glue/src/entries/node.js";

const worker = Account.fromSecret(process.env.WORKER_SECRET);
const route = defineRequest({
  url: "/api/echo",
  workerId: worker.id,
  request: { text: z.string() },
  response: { echoed: z.string() },
  options: { bodyTimeoutMs: Number(process.env.BODY_TIMEOUT_MS ?? 10_000) },
});
let runs = 0;
const cancelAfter = Number(process.env.CANCEL_AFTER ?? 65_536);

async function raw(request) {
  const reader = request.body.getReader();
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > cancelAfter) {
      await reader.cancel();
      return new Response("too much", { status: 413 });
    }
  }
  return new Response(JSON.stringify({ total }), { status: 200, headers: { "Content-Type": "application/json" } });
}

const server = createServer(
  toNodeListener((request) => {
    if (new URL(request.url).pathname === "/raw") return raw(request);
    if (new URL(request.url).pathname === "/cpu") return new Response(JSON.stringify(process.cpuUsage()));
    if (new URL(request.url).pathname === "/runs") return new Response(JSON.stringify({ runs, rss: process.memoryUsage().rss }));
    return route.handle(request, worker, async ({ text }) => (runs++, { echoed: text }));
  }),
);
// The floor: a bare node:http server that only collects the body's chunks and answers.
const bare = createServer((req, res) => {
  if (req.url === "/cpu") return res.end(JSON.stringify(process.cpuUsage()));
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => res.end(JSON.stringify({ bytes: Buffer.concat(chunks).length })));
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
await new Promise((resolve) => bare.listen(0, "127.0.0.1", resolve));
console.log(JSON.stringify({ port: server.address().port, barePort: bare.address().port }));
