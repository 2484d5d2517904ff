// Starts Debian's redis-server on 127.0.0.1 and a free port, in a temporary folder and
// with no persistence, for the tests (and for make bench's Redis part); stop() ends it
// and removes the folder.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port, deadline, exited) {
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, "127.0.0.1", () => (socket.end(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (ok) return;
    if (exited()) throw new Error("redis-server exited before it listened (is it installed? run scripts/setup.sh)");
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** @returns {Promise<{ port: number, url: string, pid: number, stop: () => Promise<void> }>} */
export async function startRedis() {
  const dir = mkdtempSync(join(tmpdir(), "jazzrpc-redis-"));
  const port = await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--protected-mode", "yes"],
    { cwd: dir, stdio: ["ignore", "ignore", "inherit"] },
  );
  let gone = false;
  const exited = new Promise((resolve) => child.once("exit", () => ((gone = true), resolve())));
  child.once("error", () => (gone = true));
  try {
    await waitForPort(port, Date.now() + 10_000, () => gone);
  } catch (error) {
    if (!gone) child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid,
    stop: async () => {
      if (!gone) {
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
