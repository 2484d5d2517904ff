// client.js: books against the Worker, keeping the signed body it sent; sends that same body
// again, as a replay would; then books once more. node client.js http://127.0.0.1:8787
import { Account } from "jazzrpc";
import { bookEventTicket } from "./src/bookEventTicket.js";

const baseUrl = process.argv[2];

let body;
const keepBody = async (url, init) => {
  body = init.body;
  return fetch(url, init);
};
const first = await bookEventTicket.send({ eventId: "jazz-night" }, { owner: Account.create(), baseUrl, fetch: keepBody });
console.log("booked", JSON.stringify(first));

const again = await fetch(new URL(bookEventTicket.path, baseUrl), { method: "POST", headers: { "Content-Type": "application/json" }, body });
console.log("replay", JSON.stringify({ status: again.status, replayedHeader: again.headers.get("X-Jazz-Replayed"), body: await again.json() }));

const second = await bookEventTicket.send({ eventId: "jazz-night" }, { owner: Account.create(), baseUrl });
console.log("next", JSON.stringify(second));
