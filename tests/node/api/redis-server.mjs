// Starts Debian's redis-server on 127.0.0.1 and a free port, in a temporary folder and
// with no persistence, for the tests (and for make bench's Redis part); stop() ends it
// and removes the folder.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A free TCP port on 127.0.0.1 (the tests' servers: redis-server, PostgreSQL). */
export async function freePort() {
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

// A port p whose cluster bus port (p + 10000) is free too.
async function freeClusterPort(taken) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    const ok = await Promise.all([port, port + 10_000].map((p) => canListen(p)));
    if (ok.every(Boolean)) {
      taken.add(port).add(port + 10_000);
      return port;
    }
  }
  throw new Error("no free pair of ports for a Redis Cluster node");
}

function canListen(port) {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

function run(command, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(" ")} exited with ${code}: ${output}`));
    });
  });
}

/**
 * A Redis Cluster of `size` masters (no replicas) on 127.0.0.1, each node a redis-server
 * in its own temporary folder, joined by `redis-cli --cluster create`; resolves once
 * every node reports cluster_state:ok (within 30 s). stop() ends every node and removes
 * the folders.
 * @returns {Promise<{ nodes: { port: number, url: string }[], stop: () => Promise<void> }>}
 */
export async function startRedisCluster(size = 3) {
  const taken = new Set();
  const nodes = [];
  const stopAll = async () => {
    for (const node of nodes) await node.stop();
  };
  try {
    for (let i = 0; i < size; i++) {
      const dir = mkdtempSync(join(tmpdir(), "jazzrpc-redis-cluster-"));
      const port = await freeClusterPort(taken);
      const child = spawn(
        "redis-server",
        [
          "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--protected-mode", "yes",
          "--cluster-enabled", "yes", "--cluster-config-file", join(dir, "nodes.conf"), "--cluster-node-timeout", "5000",
        ],
        { cwd: dir, stdio: ["ignore", "ignore", "inherit"] },
      );
      let gone = false;
      const exited = new Promise((resolve) => child.once("exit", () => ((gone = true), resolve())));
      child.once("error", () => (gone = true));
      const node = {
        port,
        url: `redis://127.0.0.1:${port}`,
        stop: async () => {
          if (!gone) {
            child.kill("SIGTERM");
            await exited;
          }
          rmSync(dir, { recursive: true, force: true });
        },
      };
      nodes.push(node);
      await waitForPort(port, Date.now() + 10_000, () => gone);
    }
    await run("redis-cli", ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "0", "--cluster-yes"], 30_000);
    const deadline = Date.now() + 30_000;
    for (const node of nodes) {
      for (;;) {
        const info = await run("redis-cli", ["-h", "127.0.0.1", "-p", String(node.port), "CLUSTER", "INFO"], 5_000);
        if (/cluster_state:ok/.test(info) && /cluster_known_nodes:(\d+)/.exec(info)?.[1] === String(size)) break;
        if (Date.now() > deadline) throw new Error(`Redis Cluster node ${node.port} is not ok within 30 s: ${info}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { nodes: nodes.map(({ port, url }) => ({ port, url })), stop: stopAll };
}
