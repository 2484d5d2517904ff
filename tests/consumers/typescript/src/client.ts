// client.ts: send()'s result is inferred from the response schema. Each @ts-expect-error
// line is an error only when the types are real (with `any` it would be unused: a tsc error).
import { Account, isJazzRequestError } from "jazzrpc";
import { bookEventTicket, echo } from "./bookEventTicket.js";

export async function client(): Promise<string> {
  const me = Account.create();
  const { ticketId, seatsLeft } = await bookEventTicket.send({ eventId: "jazz-night" }, { owner: me });
  const left: number = seatsLeft;
  // @ts-expect-error seatsLeft is a number
  const notText: string = seatsLeft;
  void left, notText;
  // @ts-expect-error eventId is required
  await bookEventTicket.send({}, { owner: me });
  // @ts-expect-error seats is a number
  await bookEventTicket.send({ eventId: "jazz-night", seats: "2" }, { owner: me });
  const { echoed } = await echo.send({ text: "hi" }, { owner: me });
  // @ts-expect-error echoed is a string
  const echoedNumber: number = echoed;
  void echoedNumber;
  try {
    await echo.send({ text: "again" }, { owner: me });
  } catch (error) {
    if (isJazzRequestError(error)) return `${error.code} ${error.message}`;
  }
  return ticketId;
}
