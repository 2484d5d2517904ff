// cojson's canonical text writes strings starting with "encrypted_U" or "binary_U"
// between quotes with no escaping. Such a string holding a quote, a backslash or a
// control character would rewrite the signed content (inject fields), so the glue
// refuses to sign one. (cojson's own encrypted values are base64url.)
import { JazzRpcError } from "./errors.js";

const RAW_PREFIX = /^(?:encrypted_U|binary_U)/;
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/** Throws a 400 JazzRpcError for a value that holds such a string, at any depth up to 1024. */
export function refuseUnsafeRawStrings(value, name, depth = 0) {
  if (typeof value === "string") {
    if (RAW_PREFIX.test(value) && (NEEDS_ESCAPE.test(value) || value.isWellFormed?.() === false)) {
      throw new JazzRpcError(
        "ERR_INVALID_ARGUMENT",
        400,
        `${name}: a string starting with "encrypted_U" or "binary_U" cannot hold quotes, backslashes or control characters (cojson writes it unescaped)`,
      );
    }
  } else if (typeof value === "object" && value !== null && depth < 1024) {
    for (const item of Array.isArray(value) ? value : Object.values(value)) refuseUnsafeRawStrings(item, name, depth + 1);
  }
}
