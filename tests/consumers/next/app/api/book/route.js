// app/api/book/route.js: a Next.js App Router route handler. The worker is made on the
// first request, so `next build` needs no secrets (JAZZ_WORKER_SECRET is read at run time).
import { startWorker } from "jazzrpc/node";
import { bookEventTicket } from "../../../bookEventTicket.js";
import { bookTicket } from "../../../events.js";

let started;

export async function POST(request) {
  started ??= startWorker(); // JAZZ_WORKER_ACCOUNT and JAZZ_WORKER_SECRET
  const { worker } = await started;
  return bookEventTicket.handle(request, worker, bookTicket);
}
