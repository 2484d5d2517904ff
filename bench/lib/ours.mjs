// Our side of the handle() figures: the documentation's route with plain (zod)
// schemas, and request bodies made by our own send(), its fetch intercepted.
import { z } from "zod";
import { ROOT } from "./measure.mjs";

export const glue = await import(ROOT + "js-glue/src/entries/node.js");

/** The route for workerId, and makeBodies(count, from): request bodies signed by a new client account. */
export function oursFor(url, workerId, options) {
  const route = glue.experimental_defineRequest({
    url,
    workerId,
    options,
    request: { schema: { eventId: z.string() } },
    response: { schema: { ticketId: z.string() } },
  });
  const client = glue.Account.create();
  let captured = [];
  const capture = async (_url, init) => {
    captured.push(init.body);
    return new Response("captured by the bench", { status: 599 });
  };
  const makeBodies = async (count, from) => {
    captured = [];
    for (let i = 0; i < count; i++) {
      await route.send({ eventId: `event-${from + i}` }, { owner: client, fetch: capture }).catch((error) => {
        if (error?.code !== 599) throw error;
      });
    }
    return captured;
  };
  return { route, makeBodies };
}

export const handler = async ({ eventId }) => ({ ticketId: `ticket-${eventId}` });
