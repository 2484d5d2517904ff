// route.cts: a CommonJS module under module "nodenext". Its imports compile to
// require("jazzrpc/node") (Node 20.19+ loads it) and the types must say the same;
// compiled to out/route.cjs, it books through handle() in-process when run.
import { experimental_defineRequest, Account, JazzRequestError } from "jazzrpc/node";
import { z } from "zod";

const worker = Account.create();
const bookEventTicket = experimental_defineRequest({
  url: "/api/book",
  workerId: worker.id,
  request: { schema: { eventId: z.string() } },
  response: { schema: { ticketId: z.string() } },
});

export async function main(): Promise<string> {
  const inProcess = async (url: string | URL | Request, init?: RequestInit) =>
    bookEventTicket.handle(new Request(url, init), worker, async ({ eventId }, madeBy) => {
      // @ts-expect-error eventId is a string
      const wrong: number = eventId;
      void wrong;
      if (eventId === "sold-out") throw new JazzRequestError("Event is full", 400);
      return { ticketId: `${eventId}-${madeBy.id.slice(-6)}` };
    });
  const { ticketId } = await bookEventTicket.send({ eventId: "jazz-night" }, { owner: Account.create(), fetch: inProcess, baseUrl: "http://in-process.invalid" });
  // @ts-expect-error ticketId is a string
  const notNumber: number = ticketId;
  void notNumber;
  return ticketId;
}

main().then((ticketId) => console.log("booked", JSON.stringify({ ticketId })));
