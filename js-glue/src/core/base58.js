// base58 (the Bitcoin alphabet), as cojson writes keys, signatures and ids.
import { bytesOf, string } from "./arguments.js";

export function base58Encode(abi, bytes) {
  abi.check("jazzrpc_base58_encode", bytesOf(bytes, "bytes"));
  return abi.outputText();
}

export function base58Decode(abi, text) {
  abi.check("jazzrpc_base58_decode", string(text, "text"));
  return abi.outputBytes();
}
