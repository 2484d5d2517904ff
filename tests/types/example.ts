// A typed example: `tsc --noEmit -p tests/types` checks that the handler's arguments
// and send()'s result are inferred from the schemas. The @ts-expect-error lines fail
// the check if a wrong use ever type-checks.
import { experimental_defineRequest, defineRequest, JazzRequestError, isJazzRequestError, Account, startWorker } from "jazzrpc/node";
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
