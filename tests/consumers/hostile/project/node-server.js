// node-server.js: the README's Quickstart server (node:http, toNodeListener), PORT set.
import { createServer } from "node:http";
import { startWorker, toNodeListener } from "jazzrpc/node";
import { bookEventTicket } from "./route.js";
import { bookTicket } from "./events.js";

const { worker } = await startWorker(); // reads JAZZ_WORKER_ACCOUNT and JAZZ_WORKER_SECRET

const server = createServer(toNodeListener((request) => bookEventTicket.handle(request, worker, bookTicket)));
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
