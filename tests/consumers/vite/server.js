// server.js: serves the page built by `vite build` (dist/) and the route, on 127.0.0.1.
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { startWorker, toNodeListener } from "jazzrpc/node";
import { bookEventTicket } from "./src/bookEventTicket.js"; // the README's route file, shared with the page
import { bookTicket } from "./events.js";

const { worker } = await startWorker(); // JAZZ_WORKER_ACCOUNT and JAZZ_WORKER_SECRET

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm" };
async function serveFile(pathname) {
  const path = join("dist", normalize(pathname === "/" ? "/index.html" : pathname));
  try {
    return new Response(await readFile(path), { headers: { "Content-Type": TYPES[extname(path)] ?? "application/octet-stream" } });
  } catch {
    return new Response("Not found", { status: 404 });
  }
}

const server = createServer(
  toNodeListener((request) => {
    const { pathname } = new URL(request.url);
    if (pathname === "/api/book") return bookEventTicket.handle(request, worker, bookTicket);
    return serveFile(pathname);
  }),
);
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
