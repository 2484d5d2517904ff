// BLAKE3 of bytes, with 1 to 65536 bytes of output.
import { JazzRpcError } from "./errors.js";
import { bytesOf } from "./arguments.js";

export function blake3(abi, bytes, outLen = 32) {
  const input = bytesOf(bytes, "bytes");
  if (!Number.isInteger(outLen) || outLen < 1 || outLen > 65536) {
    throw new JazzRpcError("ERR_INVALID_ARGUMENT", 400, `outLen must be an integer from 1 to 65536, got ${outLen}`);
  }
  abi.check("jazzrpc_blake3", input, outLen);
  return abi.outputBytes();
}
