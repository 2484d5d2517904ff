// RedisReplayGuard over a Redis Cluster of three redis-server processes on 127.0.0.1
// (cluster-enabled, joined by `redis-cli --cluster create`, started and stopped here in
// temporary folders), with node-redis createCluster and ioredis Cluster: the guard
// scenarios, ids spread over the nodes with each id's key in its own id's hash slot,
// the scripts after SCRIPT FLUSH on every node, and one body sent many times at once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient, createCluster } from "redis";
import Redis from "ioredis";
import { z } from "zod";
import * as v from "valibot";
import * as lib from "../../../js-glue/src/entries/node.js";
import { guardScenarios } from "../../scenarios/api.mjs";
import { startRedisCluster } from "./redis-server.mjs";

let cluster;
const nodes = []; // a plain client per node, to look at where keys live
const clients = {};
before(async () => {
  cluster = await startRedisCluster(3);
  for (const node of cluster.nodes) {
    const client = createClient({ url: node.url });
    await client.connect();
    nodes.push(client);
  }
  clients["node-redis createCluster"] = createCluster({ rootNodes: [{ url: cluster.nodes[0].url }] });
  await clients["node-redis createCluster"].connect();
  clients["ioredis Cluster"] = new Redis.Cluster([{ host: "127.0.0.1", port: cluster.nodes[0].port }], { lazyConnect: true, redisOptions: { maxRetriesPerRequest: 1 } });
  await clients["ioredis Cluster"].connect();
}, { timeout: 90_000 });
after(async () => {
  await clients["node-redis createCluster"]?.quit();
  await clients["ioredis Cluster"]?.quit();
  for (const client of nodes) await client.quit();
  await cluster?.stop();
});

const ctx = { lib, z, v };
const randomId = () => "co_z" + lib.getCore().base58Encode(crypto.getRandomValues(new Uint8Array(19)));
const answer = { status: 200, headers: { "Content-Type": "application/json" }, body: '{"type":"success","payload":{"ok":true}}' };
let n = 0;

for (const kind of ["node-redis createCluster", "ioredis Cluster"]) {
  const makeGuard = (now, options = {}) => new lib.RedisReplayGuard({ client: clients[kind], prefix: `c${++n}:`, now, skewMs: 0, ...options });

  for (const s of guardScenarios) {
    test(`RedisReplayGuard on a cluster with ${kind}: ${s.name}`, () => s.fn(ctx, (now) => makeGuard(now)));
  }

  test(`RedisReplayGuard on a cluster with ${kind}: 60 ids claimed, completed and replayed; each id's key lives in its id's slot, and the ids spread over the nodes`, async () => {
    const prefix = `spread${++n}:`;
    const guard = makeGuard(Date.now, { prefix });
    const expiresAt = Date.now() + 60_000;
    const ids = Array.from({ length: 60 }, randomId);
    for (const id of ids) {
      assert.deepEqual(await guard.begin(id, expiresAt), { state: "first" });
      assert.deepEqual(await guard.begin(id, expiresAt), { state: "running" });
      assert.equal(await guard.complete(id, answer, expiresAt), true);
      assert.deepEqual(await guard.begin(id, expiresAt), { state: "done", answer });
    }
    const holders = new Set();
    for (const id of ids) {
      const key = `${prefix}{${id}}`;
      assert.equal(await nodes[0].sendCommand(["CLUSTER", "KEYSLOT", key]), await nodes[0].sendCommand(["CLUSTER", "KEYSLOT", id]), "the id is the key's hash tag");
      const on = [];
      for (const [i, node] of nodes.entries()) {
        const count = await node.sendCommand(["CLUSTER", "COUNTKEYSINSLOT", String(await node.sendCommand(["CLUSTER", "KEYSLOT", key]))]);
        if (Number(count) > 0) on.push(i);
      }
      assert.equal(on.length, 1, `the key of ${id} lives on one node`);
      holders.add(on[0]);
    }
    assert.equal(holders.size, 3, "60 ids spread over the three nodes");
    for (const id of ids) assert.equal(await guard.release(id), true);
  });

  test(`RedisReplayGuard on a cluster with ${kind}: the scripts work again after SCRIPT FLUSH on every node`, async () => {
    const guard = makeGuard(Date.now);
    const expiresAt = Date.now() + 60_000;
    for (let round = 0; round < 2; round++) {
      for (const node of nodes) await node.sendCommand(["SCRIPT", "FLUSH"]);
      const ids = Array.from({ length: 12 }, randomId);
      for (const id of ids) assert.deepEqual(await guard.begin(id, expiresAt), { state: "first" });
      for (const id of ids) assert.deepEqual(await guard.begin(id, expiresAt), { state: "running" });
    }
  });

  test(`RedisReplayGuard on a cluster with ${kind}: a body sent through handle() 20 times at once runs once, then replays`, async () => {
    const worker = lib.Account.create();
    worker.replayGuard = makeGuard(Date.now);
    const route = lib.defineRequest({ url: "/api/book", workerId: worker.id, request: { eventId: z.string() }, response: { ticketId: z.string() } });
    let runs = 0;
    const handler = async ({ eventId }) => ({ ticketId: `${eventId}-${++runs}` });
    let body;
    await route.send({ eventId: "e1" }, { owner: lib.Account.create(), fetch: async (_u, init) => ((body = init.body), Promise.reject(new Error("captured"))) }).catch(() => {});
    const post = () => route.handle(new Request("http://127.0.0.1/api/book", { method: "POST", headers: { "Content-Type": "application/json" }, body }), worker, handler);
    const statuses = (await Promise.all(Array.from({ length: 20 }, post))).map((r) => r.status);
    assert.equal(runs, 1, `statuses: ${statuses}`);
    assert.ok(statuses.every((s) => s === 200 || s === 409), `statuses: ${statuses}`);
    const again = await post();
    assert.equal(again.status, 200);
    assert.equal(again.headers.get("X-Jazz-Replayed"), "true");
  });
}
