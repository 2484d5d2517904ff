// The demo: starts the demo server on 127.0.0.1 and a free port, runs the client
// against it, prints each outcome, and exits non-zero when one is not as expected.
import { createDemoServer } from "./server.mjs";
import { runClient, formatOutcome } from "./client.mjs";

const EXPECTED = {
  valid: { status: 200 },
  replay: { status: 400, message: "Request payload is already handled" },
  tampered: { status: 401, message: "Invalid signature" },
  expired: { status: 401, message: "Authentication token is expired" },
};

const server = createDemoServer();
await new Promise((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", resolve));
const { port } = server.address();
const url = `http://127.0.0.1:${port}/api/book-event-ticket`;
console.log(`demo server on ${url}`);

let failures = 0;
try {
  for (const outcome of await runClient(url)) {
    const want = EXPECTED[outcome.name];
    const got = outcome.json ?? {};
    const asExpected =
      outcome.status === want.status &&
      (want.status === 200 ? got.ok === true : got.code === want.status && got.message === want.message);
    if (!asExpected) failures++;
    console.log(formatOutcome(outcome) + (asExpected ? "" : `   <- expected ${JSON.stringify(want)}`));
  }
} finally {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}
console.log(failures === 0 ? "demo: every outcome as expected" : `demo: ${failures} outcome(s) not as expected`);
process.exitCode = failures === 0 ? 0 : 1;
