// Demo server: node:http, every signed request body checked by the wasm core.
// verifyEnvelope (signature, 60 s window, 10 s skew, at Date.now()), then the id is
// claimed in the core's replay set until it expires. Any path, POST only.
// Run alone: node scripts/demo/server.mjs [port]
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
import { core, ALREADY_HANDLED } from "../../js-glue/src/node.js";

export const MAX_BODY_BYTES = 1 << 20;

function send(res, status, value, headers = {}) {
  const body = JSON.stringify(value);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), ...headers });
  res.end(body);
}

// jazz-tools' error answer: the status, X-Jazz-Request-Error, {message, code: the status}.
function refuse(res, status, message, headers = {}) {
  send(res, status, { message, code: status }, { "X-Jazz-Request-Error": "true", ...headers });
}

// The body as bytes, or null once it passes the limit (the rest is not read).
function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    if (Number(req.headers["content-length"]) > limit) return resolve(null);
    const chunks = [];
    let size = 0;
    const onData = (chunk) => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        req.pause();
        return resolve(null);
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export function createDemoServer({ maxBodyBytes = MAX_BODY_BYTES, log = () => {} } = {}) {
  const replay = core.createReplaySet();
  const server = createServer(async (req, res) => {
    try {
      if (req.method !== "POST") return refuse(res, 405, "Method not allowed: use POST");
      const body = await readBody(req, maxBodyBytes);
      if (body === null) {
        // answer, then drop the connection rather than read the rest
        res.on("finish", () => req.destroy());
        return refuse(res, 413, "Request payload is too large", { Connection: "close" });
      }
      const now = Date.now();
      const verdict = core.verifyEnvelope(body, { now, maxBytes: maxBodyBytes });
      if (!verdict.ok) return refuse(res, verdict.status, verdict.message);
      if (!replay.claim(verdict.id, verdict.expiresAt, now)) return refuse(res, ALREADY_HANDLED.status, ALREADY_HANDLED.message);
      log(`handled ${verdict.id} from ${verdict.signerID}`);
      send(res, 200, { ok: true, id: verdict.id });
    } catch (error) {
      log(`error: ${error.stack ?? error}`);
      if (!res.headersSent) refuse(res, 500, "Internal server error");
      else res.destroy();
    }
  });
  server.on("close", () => replay.free());
  return server;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const server = createDemoServer({ log: (line) => console.log(line) });
  server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
    const { address, port } = server.address();
    console.log(`jazzrpc demo server on http://${address}:${port}/`);
  });
}
