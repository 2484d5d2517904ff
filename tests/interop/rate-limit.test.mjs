// A route's rateLimit on the jazz-tools path (issue 19.1: counted per account there):
// real jazz-tools clients (their own defineRequest and send()) book through our handle()
// with { rateLimit: { requests: 2, perMs: 60_000 } }: each account gets its two bookings,
// the third request of one account is answered 429 ERR_RATE_LIMITED with a Retry-After,
// which jazz-tools' send() throws as its JazzRequestError, and books nothing; another
// account is not counted against it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { experimental_defineRequest as jazzDefineRequest } from "jazz-tools";
import { JazzRequestError, MemoryReplayGuard } from "jazzrpc/node";
import { setup, installFetch, Event } from "./scenario.mjs";
import { bookTicket, definition } from "./booking.mjs";

const URL_ = "http://127.0.0.1/limited/book-event-ticket";
let s;
let restoreFetch;
const answers = [];
before(async () => {
  s = await setup();
  const guard = new MemoryReplayGuard();
  const limited = async (request) => {
    const response = await s.routes.ourClient.toOurs.handle(request, s.worker, bookTicket(s.worker, JazzRequestError), {
      replayGuard: guard,
      rateLimit: { requests: 2, perMs: 60_000 },
    });
    const copy = response.clone();
    answers.push({ status: response.status, retryAfter: response.headers.get("Retry-After"), body: await copy.text() });
    return response;
  };
  // The route answers at OURS's path; the clients post to /limited, handled by the same route.
  restoreFetch = installFetch({ "/limited/book-event-ticket": (request) => limited(new Request(s.OURS, request)) });
});
after(() => restoreFetch?.());

test("jazz-tools clients through a rate-limited route: two bookings per account, the third a 429 with Retry-After, another account unaffected", async () => {
  const event = await s.createEvent(100);
  const route = jazzDefineRequest(definition(s.worker.$jazz.id, URL_));
  const book = async (client) => route.send({ event: await Event.load(event.$jazz.id, { loadAs: client }) }, { owner: client });
  const [a, b] = s.clients;

  for (let i = 0; i < 2; i++) {
    const { ticket } = await book(a);
    assert.equal(ticket.account.$jazz.id, a.$jazz.id);
  }
  await assert.rejects(book(a), (error) => {
    assert.equal(error.code, 429, `${error.code} ${error.message}`);
    return true;
  });
  const refused = answers.at(-1);
  assert.equal(refused.status, 429);
  assert.equal(JSON.parse(refused.body).reason, "ERR_RATE_LIMITED");
  assert.ok(Number(refused.retryAfter) >= 1 && Number(refused.retryAfter) <= 60, `Retry-After ${refused.retryAfter}`);

  const { ticket } = await book(b);
  assert.equal(ticket.account.$jazz.id, b.$jazz.id, "another account books: counted per account");

  const booked = (await Event.load(event.$jazz.id, { loadAs: s.worker, resolve: { reservations: true } })).reservations.length;
  assert.equal(booked, 3, "the refused request booked nothing");
  assert.deepEqual(answers.map((x) => x.status), [200, 200, 429, 200]);
});
