// deno-server.js: the README's Deno server (Deno.serve, toFetchHandler), PORT set.
// deno run --allow-net=127.0.0.1 --allow-read --allow-env deno-server.js
import { toFetchHandler } from "jazzrpc";
import { bookEventTicket } from "./route.js";
import { bookTicket } from "./events.js";

Deno.serve({ hostname: "127.0.0.1", port: Number(Deno.env.get("PORT") ?? 8000) }, toFetchHandler(bookEventTicket, bookTicket));
