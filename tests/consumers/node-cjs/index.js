// index.js in a CommonJS project ("type": "commonjs"): require() of the package on Node 20.19+.
// The client's send() goes through the route's handle() in this process (its fetch option).
const { defineRequest, Account, JazzRequestError, isJazzRequestError } = require("jazzrpc/node");
const jazzrpc = require("jazzrpc");
const { z } = require("zod");

const worker = Account.create();
const bookEventTicket = defineRequest({
  url: "/api/book",
  workerId: worker.id,
  request: { schema: { eventId: z.string() } },
  response: { schema: { ticketId: z.string() } },
});

async function handler({ eventId }, madeBy) {
  if (eventId === "sold-out") throw new JazzRequestError("Event is full", 400, { seatsLeft: 0 });
  return { ticketId: `${eventId}-${madeBy.id.slice(-6)}` };
}

const inProcess = (url, init) => bookEventTicket.handle(new Request(url, init), worker, handler);

async function main() {
  const me = Account.create();
  const options = { owner: me, fetch: inProcess, baseUrl: "http://in-process.invalid" };
  const { ticketId } = await bookEventTicket.send({ eventId: "jazz-night" }, options);
  console.log("booked", JSON.stringify({ ticketId }));
  try {
    await bookEventTicket.send({ eventId: "sold-out" }, options);
  } catch (error) {
    if (!isJazzRequestError(error)) throw error;
    console.log("refused", JSON.stringify({ code: error.code, message: error.message }));
  }
  console.log("root", JSON.stringify({ sameModule: jazzrpc.defineRequest === defineRequest, exports: Object.keys(jazzrpc).length }));
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
