// toNodeListener reads the IncomingMessage itself (adapters/node-body.js). A body that
// Node's parser has received in full before anything reads it (the app awaited first:
// a database, a lazy import, a slow middleware) is still read in full: `req.complete`
// says the parser is done, not that the data was consumed. Before the fix, such a body
// was read as empty (400 ERR_NOT_JSON), on both listener forms.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { z } from "zod";
import { Account, defineRequest, toNodeListener } from "../../../js-glue/src/entries/node.js";

const worker = Account.create();
const route = defineRequest({ url: "/api/echo", workerId: worker.id, request: { text: z.string() }, response: { echoed: z.string() } });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function listen(listener) {
  const server = createServer(listener);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/api/echo`, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))) };
}

async function bodies(count, size) {
  const owner = Account.create();
  return Promise.all(Array.from({ length: count }, async (_, i) => (await route.prepare({ text: `${i}:`.padEnd(size, "x") }, { owner })).body));
}

for (const size of [10, 200_000]) {
  test(`a ${size}-character body read after the app awaited: 200 on the README form (toNodeListener(fetchHandler))`, async () => {
    const server = await listen(
      toNodeListener(async (request) => {
        await sleep(50);
        return route.handle(request, worker, async ({ text }) => ({ echoed: text.slice(0, 8) }));
      }),
    );
    try {
      for (const body of await bodies(4, size)) {
        const response = await fetch(server.url, { method: "POST", body });
        assert.equal(response.status, 200, await response.text());
      }
    } finally {
      await server.close();
    }
  });
}

test("a body whose request waited in the app before handle() on the route form (toNodeListener(route, handler)): 200", async () => {
  // The route form reads once the core is ready and the handler's setup ran; an app-level
  // wrapper that awaits before passing the request on is the same late read.
  const inner = toNodeListener(route, async ({ text }) => ({ echoed: text.slice(0, 8) }), { worker });
  const server = await listen(async (req, res) => {
    await sleep(50);
    inner(req, res);
  });
  try {
    for (const body of await bodies(4, 1000)) {
      const response = await fetch(server.url, { method: "POST", body });
      assert.equal(response.status, 200, await response.text());
    }
  } finally {
    await server.close();
  }
});
