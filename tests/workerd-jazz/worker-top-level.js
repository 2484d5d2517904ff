// jazz-tools accounts made at the top level of the Worker, where workerd allows no
// random values: shows where jazz-tools stops (the loader is there, as it should be).
import "jazz-tools/load-edge-wasm";
import { setupJazzTestSync, createJazzTestAccount } from "jazz-tools/testing";

const describe = (error) =>
  (error?.stack ? String(error.stack) : String(error)) + (error?.cause ? `\nCaused by: ${describe(error.cause)}` : "");

let outcome;
try {
  await setupJazzTestSync();
  outcome = { failed: false, account: (await createJazzTestAccount()).$jazz.id };
} catch (error) {
  outcome = { failed: true, message: describe(error) };
}

export default {
  fetch: () => new Response(JSON.stringify(outcome), { headers: { "Content-Type": "application/json" } }),
};
