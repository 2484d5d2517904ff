// app/api/book/route.js: the README's Next.js route handler (jazzrpc/next).
import { toRouteHandler } from "jazzrpc/next";
import { bookEventTicket } from "../../../route.js";
import { bookTicket } from "../../../events.js";

export const POST = toRouteHandler(bookEventTicket, bookTicket);
