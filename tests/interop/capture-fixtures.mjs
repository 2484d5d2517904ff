// Writes tests/fixtures/jazz-tools-0.20.19/: a request and a response body made by
// jazz-tools 0.20.19 itself (send() through handle()), and the throwaway keys of the
// test accounts that made them. Run: node tests/interop/capture-fixtures.mjs
import { setupJazzTestSync, createJazzTestAccount } from "jazz-tools/testing";
import { experimental_defineRequest, co, z, Group } from "jazz-tools";
await setupJazzTestSync();
const worker = await createJazzTestAccount();
const client = await createJazzTestAccount({ isCurrentActiveAccount: true });
const route = experimental_defineRequest({
  url: "http://127.0.0.1/api/book",
  workerId: worker.$jazz.id,
  request: { schema: { eventId: z.string() } },
  response: { schema: { ticketId: z.string() } },
});
let reqBody, resBody;
globalThis.fetch = async (url, init) => {
  reqBody = init.body;
  const res = await route.handle(new Request(url, init), worker, async ({ eventId }, madeBy) => ({ ticketId: "t-" + eventId + "-" + madeBy.$jazz.id.slice(0,8) }));
  resBody = await res.clone().text();
  return res;
};
const out = await route.send({ eventId: "e1" }, { owner: client });
console.error("result", out.ticketId, "client", client.$jazz.id, "worker", worker.$jazz.id);
const fs = await import("node:fs");
const dir = new URL("../fixtures/jazz-tools-0.20.19/", import.meta.url).pathname; fs.writeFileSync(dir + "request.json", reqBody); fs.writeFileSync(dir + "accounts.json", JSON.stringify({ note: "throwaway accounts of jazz-tools/testing that made request.json and response.json", client: { id: client.$jazz.id, signerSecret: client.$jazz.localNode.getCurrentAgent().currentSignerSecret() }, worker: { id: worker.$jazz.id, signerSecret: worker.$jazz.localNode.getCurrentAgent().currentSignerSecret() } }, null, 2) + "\n");
fs.writeFileSync(dir + "response.json", resBody);
console.error("agent", client.$jazz.localNode.getCurrentAgent().currentSignerID());
process.exit(0);
