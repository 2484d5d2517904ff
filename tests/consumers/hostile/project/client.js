// client.js: one valid request, signed by a fresh client account with the package's send().
// node client.js http://127.0.0.1:8080   (JAZZ_WORKER_ACCOUNT set, as for the server)
import { Account } from "jazzrpc";
import { bookEventTicket } from "./route.js";

const result = await bookEventTicket.send({ eventId: "hostile" }, { owner: Account.create(), baseUrl: process.argv[2] });
console.log("booked", JSON.stringify(result));
