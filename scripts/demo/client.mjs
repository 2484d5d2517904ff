// Demo client: signs requests with the wasm core and sends them to the demo server:
// (a) a valid request, (b) the same body again, (c) a body changed after signing,
// (d) a request signed 120 s ago. Run alone: node scripts/demo/client.mjs <url>
import { pathToFileURL } from "node:url";
import { core } from "../../js-glue/src/node.js";

// As `jazzrpc sign` derives ids: co_z + the shortHash of {contentPieces, createdAt}.
function signRequest(contentPieces, signerSecret, createdAt) {
  const id = core.shortHash(JSON.stringify({ contentPieces, createdAt })).replace(/^shortHash_z/, "co_z");
  return core.signEnvelope({ contentPieces, id, createdAt }, signerSecret);
}

async function post(url, body) {
  const response = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // reported as text
  }
  return { status: response.status, text, json };
}

/** Sends the four requests; resolves to [{name, status, text, json}]. */
export async function runClient(url) {
  const { signerSecret } = core.signKeypair();
  const order = [{ eventId: "evt_jazzconf", seats: 2, note: "aisle please" }];

  const valid = signRequest(order, signerSecret, Date.now());

  const parsed = JSON.parse(signRequest(order, signerSecret, Date.now()));
  parsed.contentPieces[0].seats = 200; // after signing
  const tampered = JSON.stringify(parsed);

  const expired = signRequest(order, signerSecret, Date.now() - 120000);

  const outcomes = [];
  for (const [name, body] of [["valid", valid], ["replay", valid], ["tampered", tampered], ["expired", expired]]) {
    outcomes.push({ name, ...(await post(url, body)) });
  }
  return outcomes;
}

export const formatOutcome = ({ name, status, text }) => `${name.padEnd(9)} -> ${status} ${text}`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const url = process.argv[2];
  if (!url) {
    console.error("usage: node scripts/demo/client.mjs <server url>");
    process.exit(2);
  }
  for (const outcome of await runClient(url)) console.log(formatOutcome(outcome));
}
