// A slow claim at the end of the window: the body is verified inside its window,
// the guard is reached after it (a slow guard, a loaded process, the jazz-tools
// path loading the creator first). Nobody handled the id, so the answer should be
// 401 expired (anything but "already handled": the guards report the expired id as
// "seen", and handle() answered 400 "Request payload is already handled" before it
// told the two apart).
import { test } from "node:test";
import assert from "node:assert/strict";
import { z } from "zod";
import { ALREADY_HANDLED, Account, MemoryReplayGuard, defineRequest } from "../../../js-glue/src/entries/node.js";

const WINDOW_MS = 1_000;

test(
  "a body verified in its window whose claim lands after it is not told 'already handled' (MemoryReplayGuard, a slow begin)",
  { timeout: 20_000 },
  async () => {
    const worker = Account.create();
    const route = defineRequest({ url: "/api/book", workerId: worker.id, request: { eventId: z.string() }, response: { ticketId: z.string() }, options: { window: WINDOW_MS } });
    let body;
    await route
      .send({ eventId: "e" }, { owner: Account.create(), baseUrl: "http://127.0.0.1", retry: false, fetch: async (_u, init) => ((body = init.body), Promise.reject(new Error("captured"))) })
      .catch(() => {});
    const expiresAt = JSON.parse(body).createdAt + WINDOW_MS;

    // The guard is reached 20 ms after the window ended.
    const memory = new MemoryReplayGuard();
    const slowGuard = {
      begin: async (id, at) => {
        await new Promise((r) => setTimeout(r, Math.max(0, expiresAt + 20 - Date.now())));
        return memory.begin(id, at);
      },
      claim: (id, at) => memory.claim(id, at),
      complete: (...args) => memory.complete(...args),
      release: (id) => memory.release(id),
    };
    let runs = 0;
    const response = await route.handle(new Request("http://127.0.0.1/api/book", { method: "POST", body }), worker, () => ({ ticketId: String(++runs) }), {
      replayGuard: slowGuard,
    });
    const text = await response.text();
    assert.equal(runs, 0);
    assert.notEqual(JSON.parse(text).message, ALREADY_HANDLED.message, `never handled, yet: ${response.status} ${text}`);
    assert.equal(response.status, 401, text);
  },
);
