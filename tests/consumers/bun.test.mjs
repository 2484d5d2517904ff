// Bun (npm's `@oven/bun-linux-x64` carries the binary, installed in the consumer's project):
// the README's Quickstart as written (server.js on node:http with toNodeListener, client.js),
// run by `bun`, and the README's Bun section (bun/server.js: Bun.serve with toFetchHandler),
// each booking a seat and meeting a full event with a client run by `bun`.
import assert from "node:assert/strict";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileBlocks } from "../docs/blocks.mjs";
import { README, createProject, freePort, makeWorkerAccount, taggedLines } from "./harness.mjs";

const BUN = "@oven/bun-linux-x64@1.4.5";
// The README's blocks this consumer runs, as { README name: path in the project }: the Quickstart
// in the project's folder, the Bun section's server.js beside its own copy of the route and handler.
const FILES = {
  "bookEventTicket.js": "bookEventTicket.js",
  "events.js": "events.js",
  "server.js": "server.js",
  "client.js": "client.js",
  "bun/server.js": "bun/server.js",
};

test("Bun: the README's Quickstart (node:http server.js, client.js) and its Bun.serve server, run by bun", { timeout: 300_000 }, async (t) => {
  const project = await createProject(t, "bun", { dependencies: ["zod", BUN] });
  const blocks = fileBlocks(README);
  for (const [block, target] of Object.entries(FILES)) {
    assert.ok(block in blocks, `README.md has a block file=${block}`);
    await mkdir(dirname(join(project.dir, target)), { recursive: true });
    await writeFile(join(project.dir, target), blocks[block]);
  }
  for (const shared of ["bookEventTicket.js", "events.js"]) await copyFile(join(project.dir, shared), join(project.dir, "bun", shared));
  assert.match(blocks["bun/server.js"], /Bun\.serve\(\{ hostname: "127\.0\.0\.1", port, fetch: toFetchHandler\(bookEventTicket, bookTicket\) \}\)/);

  const bun = join(project.dir, "node_modules/@oven/bun-linux-x64/bin/bun");
  const { stdout: version } = await project.run(bun, ["--version"]);
  const { stdout: entry } = await project.run(bun, ["--print", 'import.meta.resolve("jazzrpc")']);
  t.diagnostic(`bun ${version.trim()}; "jazzrpc" resolves to ${entry.trim()}`);

  const worker = await makeWorkerAccount(project);
  const env = { JAZZ_WORKER_ACCOUNT: worker.id, JAZZ_WORKER_SECRET: worker.secret };
  const book = async (url) => {
    const { stdout } = await project.run(bun, ["client.js", url], { env: { JAZZ_WORKER_ACCOUNT: worker.id }, timeout: 60_000 });
    return taggedLines(stdout);
  };
  const expectBooking = ({ booked, refused }, what) => {
    assert.match(booked?.ticketId ?? "", /^jazz-night-3-/, `${what}: ${JSON.stringify({ booked, refused })}`);
    assert.equal(booked.seatsLeft, 2);
    assert.deepEqual(refused, { code: 400, message: "Event is full", details: { seatsLeft: 0 }, isJazzRequestError: true });
  };

  // The Quickstart, as its "Run them" says, with bun for node.
  const quickstart = await project.start(bun, ["server.js"], { env: { ...env, PORT: String(await freePort()) }, ready: /listening on (http:\/\/127\.0\.0\.1:\d+)/ });
  expectBooking(await book(quickstart.match[1]), "node:http server.js under bun");

  // The Bun section: `bun server.js` in its folder.
  const port = await freePort();
  await project.start(bun, ["server.js"], { cwd: join(project.dir, "bun"), env: { ...env, PORT: String(port) }, ready: port });
  expectBooking(await book(`http://127.0.0.1:${port}`), "Bun.serve bun/server.js");
});
