// hono-server.js: the README's Hono server (jazzrpc/hono) on @hono/node-server, PORT set.
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { jazzrpc } from "jazzrpc/hono";
import { bookEventTicket } from "./route.js";
import { bookTicket } from "./events.js";

const app = new Hono();
app.post(bookEventTicket.path, jazzrpc(bookEventTicket, bookTicket));

serve({ fetch: app.fetch, hostname: "127.0.0.1", port: Number(process.env.PORT ?? 3000) }, (info) => {
  console.log(`listening on http://127.0.0.1:${info.port}`);
});
