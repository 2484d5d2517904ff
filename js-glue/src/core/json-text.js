// JSON text as the core reads it, and what the glue refuses before copying it into
// module memory (which never shrinks): a text over the size limit, a string with a BOM.
import { bytesOf } from "./arguments.js";
import { STATUS } from "./abi.js";

const DEFAULT_MAX_BYTES = 1 << 20; // the core's default, 1 MiB (src/json.h)

/**
 * JSON text as the core should read it. A string is JSON.parse's input: the core
 * reads UTF-8 as TextDecoder does (dropping a leading BOM), so a string that starts
 * with a BOM is refused here (null: not JSON, as JSON.parse says), and lone
 * surrogates, which UTF-8 cannot carry, are written as the \udxxx escapes that
 * JSON.parse makes of them inside string literals.
 */
export function jsonText(value, name) {
  if (typeof value !== "string") return bytesOf(value, name);
  if (value.charCodeAt(0) === 0xfeff) return null;
  return value.isWellFormed?.() === false ? escapeLoneSurrogates(value) : value;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeLoneSurrogates(text) {
  return text.replace(LONE_SURROGATE, (unit, offset) => {
    let backslashes = 0;
    while (offset - backslashes > 0 && text.charCodeAt(offset - backslashes - 1) === 0x5c) backslashes++;
    // after an odd run of backslashes the text is an invalid escape: leave it so (U+FFFD)
    return backslashes % 2 === 1 ? unit : `\\u${unit.charCodeAt(0).toString(16)}`;
  });
}

// An input over the size limit is refused before it is copied into module memory.
// UTF-8 never has fewer bytes than UTF-16 code units.
function overLimit(input, maxBytes) {
  return input.length > (maxBytes || DEFAULT_MAX_BYTES);
}

/** What the core would refuse, checked before copying (the size first, then a string's BOM): a status, or 0. */
export function jsonStatus(input, maxBytes) {
  if (input !== null && overLimit(input, maxBytes)) return STATUS.TOO_LARGE;
  return input === null ? STATUS.NOT_JSON : 0;
}
