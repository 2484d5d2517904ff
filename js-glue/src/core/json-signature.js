// cojson's sign and verify: "signature_z…" over UTF-8(stableStringify(JSON.parse(json))).
import { JazzRpcError } from "./errors.js";
import { string } from "./arguments.js";
import { jsonText } from "./json-text.js";
import { STATUS } from "./abi.js";

/** cojson's sign: "signature_z…" over UTF-8(stableStringify(JSON.parse(json))). */
export function sign(abi, signerSecret, json) {
  const input = jsonText(json, "json");
  if (input === null) throw JazzRpcError.fromStatus(STATUS.NOT_JSON);
  abi.check("jazzrpc_sign_json", string(signerSecret, "signerSecret"), input);
  return abi.outputText();
}

/**
 * cojson's verify. false when the signature does not verify or the signature or
 * signer id is not decodable; throws when json is not acceptable JSON.
 */
export function verify(abi, signature, json, signerID) {
  const input = jsonText(json, "json");
  if (input === null) throw JazzRpcError.fromStatus(STATUS.NOT_JSON);
  const args = [string(signature, "signature"), input, string(signerID, "signerID")];
  const result = abi.call("jazzrpc_verify_json", ...args);
  if (result >= 0) return true;
  if ([STATUS.BAD_SIGNATURE, STATUS.BAD_KEY, STATUS.BAD_ENCODING].includes(-result)) return false;
  throw JazzRpcError.fromStatus(-result);
}
