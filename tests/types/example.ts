// A typed example: `tsc --noEmit -p tests/types` checks that the handler's arguments
// and send()'s result are inferred from the schemas. The @ts-expect-error lines fail
// the check if a wrong use ever type-checks.
import { experimental_defineRequest, defineRequest, JazzRequestError, isJazzRequestError, Account, startWorker, toNodeListener } from "jazzrpc/node";
import { z } from "zod";
import * as v from "valibot";

const worker = Account.create();

export const bookEventTicket = experimental_defineRequest({
  url: "/api/book-event-ticket",
  workerId: worker.id,
  request: { schema: { eventId: z.string(), seats: z.number().optional() } },
  response: { schema: { ticketId: z.string(), seatsLeft: z.number() } },
});

export const echo = defineRequest({
  url: "/api/echo",
  workerId: worker.id,
  request: { text: v.string() },
  response: z.object({ echoed: z.string() }),
});

export async function server(request: Request): Promise<Response> {
  const { worker: w } = await startWorker();
  await echo.handle(request, w, async ({ text }) => ({ echoed: text.toUpperCase() }));
  return bookEventTicket.handle(request, w, async ({ eventId, seats }, madeBy) => {
    const id: string = eventId;
    const n: number | undefined = seats;
    const who: string = madeBy.id;
    // @ts-expect-error eventId is a string, not a number
    const wrong: number = eventId;
    if (n === 0) throw new JazzRequestError("Event is full", 400, { seatsLeft: 0 });
    void wrong;
    return { ticketId: `${id}-${who}`, seatsLeft: 3 };
  });
}

export async function badServer(request: Request): Promise<Response> {
  // @ts-expect-error the handler must return the response schema's fields
  return bookEventTicket.handle(request, worker, async () => ({ ticketId: 1, seatsLeft: 3 }));
}

export async function client(): Promise<string> {
  const me = Account.create();
  const { ticketId, seatsLeft } = await bookEventTicket.send({ eventId: "e1" }, { owner: me });
  const left: number = seatsLeft;
  void left;
  // @ts-expect-error eventId is required
  await bookEventTicket.send({}, { owner: me });
  // @ts-expect-error seats must be a number
  await bookEventTicket.send({ eventId: "e1", seats: "2" }, { owner: me });
  const { echoed } = await echo.send({ text: "hi" }, { owner: me });
  try {
    await echo.send({ text: "x" }, { owner: me });
  } catch (error) {
    if (isJazzRequestError(error)) return `${error.code} ${error.message} ${echoed}`;
  }
  return ticketId;
}

export async function retrying(request: Request): Promise<string> {
  const me = Account.create();
  const controller = new AbortController();
  const { ticketId } = await bookEventTicket.send({ eventId: "e1" }, { owner: me, retry: { attempts: 3, baseDelayMs: 100 }, signal: controller.signal });
  await bookEventTicket.send({ eventId: "e1" }, { owner: me, retry: false });
  // @ts-expect-error attempts is a number
  await bookEventTicket.send({ eventId: "e1" }, { owner: me, retry: { attempts: "3" } });
  const checked = await bookEventTicket.verify(request);
  if (checked.ok) {
    const eventId: string = checked.value.eventId;
    // @ts-expect-error the value is typed by the request schema
    const wrong: number = checked.value.eventId;
    void wrong;
    return eventId + ticketId;
  }
  const refusal: Response = checked.response;
  return String(refusal.status);
}

// Issues 15 and 16: prepared requests, the handler's context, reasons, a workerId function.
export async function outbox(request: Request): Promise<string> {
  const me = Account.create();
  const prepared = await bookEventTicket.prepare({ eventId: "e1" }, { owner: me });
  const kept: { id: string; body: string; expiresAt: number } = JSON.parse(JSON.stringify(prepared));
  const { ticketId } = await bookEventTicket.deliver(kept, { retry: { budgetMs: 30_000 } });
  // @ts-expect-error prepare() checks values as send() does
  await bookEventTicket.prepare({ eventId: 1 }, { owner: me });
  try {
    await bookEventTicket.deliver(prepared);
  } catch (error) {
    if (isJazzRequestError(error)) {
      const reason: string | undefined = error.reason;
      const requestId: string | undefined = error.requestId;
      return `${reason} ${requestId}`;
    }
  }
  const lazy = defineRequest({
    url: "/api/lazy",
    workerId: () => (globalThis as { JAZZ_WORKER_ACCOUNT?: string }).JAZZ_WORKER_ACCOUNT,
    request: { eventId: z.string() },
    response: { ok: z.boolean() },
  });
  const response = await lazy.handle(request, me, async ({ eventId }, madeBy, context) => {
    const id: string = context.id;
    const req: Request = context.request;
    void [id, req, madeBy, eventId];
    return { ok: true };
  }, { env: { DB: 1 }, onError: (error, info) => void [error, info.reason, info.requestId] });
  return ticketId + response.status;
}

// toNodeListener straight from a route (issue 18.1): the handler typed by the route.
export const listener = toNodeListener(bookEventTicket, async ({ eventId }, _madeBy, { id }) => ({ ticketId: `${eventId}-${id}`, seatsLeft: 1 }), { bodyTimeoutMs: 5_000 });
// @ts-expect-error the handler must return the response schema's values
export const wrongListener = toNodeListener(bookEventTicket, async () => ({ ticketId: 1 }));

// The core: which one (issue 18.2), and signing bytes with an open Signer or a seed.
import { getCore } from "jazzrpc/node";
export function signTwice(message: Uint8Array, seed: Uint8Array): [Uint8Array, Uint8Array, "server" | "browser"] {
  const core = getCore();
  const signer = core.openSigner(core.signKeypair(seed).signerSecret);
  try {
    return [core.signDetached(message, signer), core.signDetached(message, seed), core.kind];
  } finally {
    signer.close();
  }
}
// @ts-expect-error kind is read-only
export const setKind = (core: ReturnType<typeof getCore>) => (core.kind = "browser");
