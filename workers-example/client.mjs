#!/usr/bin/env node
// Books event tickets against the Worker, as a JazzRPC client does.
//
//   node workers-example/client.mjs [--url http://127.0.0.1:8787] [--event jazz-night]
//                                   [--count 1] [--parallel] [--worker co_z…]
//
// Each booking is signed by a new client account. The worker's account id (the
// only key whose responses are accepted) comes from --worker, else
// JAZZ_WORKER_ACCOUNT, else workers-example/.dev.vars (written by `make dev`).
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { Account, isJazzRequestError } from "jazzrpc";
import { BOOK_EVENT_TICKET_URL, defineBookEventTicket } from "./src/bookEventTicket.js";

/**
 * Books `count` tickets for eventId, one client account each; resolves to one outcome per booking:
 * { ok: true, ticketId, seatsLeft } or { ok: false, code, message, details }.
 */
export async function bookTickets({ baseUrl, workerId, eventId, count = 1, parallel = false }) {
  const bookEventTicket = defineBookEventTicket(workerId);
  const bookOne = async () => {
    try {
      const { ticketId, seatsLeft } = await bookEventTicket.send({ eventId }, { owner: Account.create(), baseUrl });
      return { ok: true, ticketId, seatsLeft };
    } catch (error) {
      if (!isJazzRequestError(error)) throw error;
      return { ok: false, code: error.code, message: error.message, details: error.details };
    }
  };
  if (parallel) return Promise.all(Array.from({ length: count }, bookOne));
  const outcomes = [];
  for (let i = 0; i < count; i++) outcomes.push(await bookOne());
  return outcomes;
}

/**
 * The body send() would post for values, signed by a new account but not sent: what
 * someone watching the wire would capture (the demo and tests replay and tamper with it).
 */
export async function captureBody(route, values, baseUrl) {
  let body;
  const capture = async (_url, init) => ((body = init.body), new Response("", { status: 599 }));
  await route.send(values, { owner: Account.create(), baseUrl, fetch: capture }).catch(() => {});
  if (!body) throw new Error("send() produced no body");
  return body;
}

/** POSTs a raw body to a route over HTTP; resolves to { status, json, replayed }. */
export async function postBody(baseUrl, body, path = BOOK_EVENT_TICKET_URL) {
  const response = await fetch(new URL(path, baseUrl), { method: "POST", headers: { "Content-Type": "application/json" }, body });
  return { status: response.status, json: await response.json(), replayed: response.headers.get("X-Jazz-Replayed") === "true" };
}

export const describeOutcome = (o) =>
  o.ok
    ? `booked ${o.ticketId}, ${o.seatsLeft} seat(s) left`
    : `${o.code} ${o.message}${o.details !== undefined ? " " + JSON.stringify(o.details) : ""}`;

function workerIdFromDevVars() {
  try {
    const text = readFileSync(new URL("./.dev.vars", import.meta.url), "utf8");
    return text.match(/^JAZZ_WORKER_ACCOUNT\s*=\s*"?([^"\s]+)"?/m)?.[1];
  } catch {
    return undefined;
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      url: { type: "string", default: "http://127.0.0.1:8787" },
      event: { type: "string", default: "jazz-night" },
      count: { type: "string", default: "1" },
      parallel: { type: "boolean", default: false },
      worker: { type: "string" },
    },
  });
  const workerId = values.worker ?? process.env.JAZZ_WORKER_ACCOUNT ?? workerIdFromDevVars();
  if (!workerId) {
    console.error("client: the worker's account id is needed: --worker co_z…, JAZZ_WORKER_ACCOUNT, or run `make dev` first");
    process.exit(2);
  }
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1) {
    console.error("client: --count must be a positive integer");
    process.exit(2);
  }
  console.log(`booking ${count} ticket(s) for ${values.event} at ${values.url} (worker ${workerId})`);
  const outcomes = await bookTickets({ baseUrl: values.url, workerId, eventId: values.event, count, parallel: values.parallel });
  outcomes.forEach((o, i) => console.log(`  client ${i + 1}: ${describeOutcome(o)}`));
  // 400 "Event is full" is an answer, not a failure; anything else unexpected is.
  const failed = outcomes.filter((o) => !o.ok && !(o.code === 400 && o.message === "Event is full"));
  process.exitCode = failed.length === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
