// A server process of the node:http figure (parts/http-node.mjs), on 127.0.0.1, printing
// its port. KIND=ours: the README's server (toNodeListener + route.handle(), the
// MemoryReplayGuard); KIND=ours-route: toNodeListener(route, handler), which makes no
// Request or Response. KIND=bare: a bare node:http server that reads the body and does one
// libsodium.js verify and one sign per request, the floor of what a signed RPC costs.
import { createServer } from "node:http";
import { ROOT } from "./measure.mjs";

let listener;
if (process.env.KIND?.startsWith("ours")) {
  const { z } = await import("zod");
  const glue = await import(ROOT + "js-glue/src/entries/node.js");
  const worker = glue.Account.fromSecret(process.env.WORKER_SECRET);
  const route = glue.defineRequest({ url: "/api/book-event-ticket", workerId: worker.id, request: { eventId: z.string() }, response: { ticketId: z.string() } });
  const handler = async ({ eventId }) => ({ ticketId: `ticket-${eventId}` });
  listener =
    process.env.KIND === "ours-route"
      ? glue.toNodeListener(route, handler, { worker })
      : glue.toNodeListener((request) => route.handle(request, worker, handler));
} else {
  const sodium = (await import("libsodium-wrappers")).default;
  await sodium.ready;
  const keys = sodium.crypto_sign_keypair();
  const message = new TextEncoder().encode('"hash_zBench"');
  const signature = sodium.crypto_sign_detached(message, keys.privateKey);
  listener = (req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (!sodium.crypto_sign_verify_detached(signature, message, keys.publicKey) || body.length === 0) {
        res.writeHead(401).end();
        return;
      }
      const answer = sodium.to_base64(sodium.crypto_sign_detached(message, keys.privateKey));
      res.writeHead(200, { "Content-Type": "application/json" }).end(`{"type":"success","signature":"${answer}"}`);
    });
  };
}
const server = createServer(listener);
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
