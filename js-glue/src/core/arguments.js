// The checks of the arguments Core's methods take, before anything is copied into
// module memory: a TypeError (or a 400 JazzRpcError for a wrong length) naming the argument.
import { JazzRpcError } from "./errors.js";

const MAX_U32 = 0xffffffff;

/** A Uint8Array over any BufferSource. */
export function bytesOf(value, name) {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError(`${name} must be a Uint8Array, got ${describe(value)}`);
}

export function string(value, name) {
  if (typeof value !== "string") throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  return value;
}

export function finite(value, name) {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError(`${name} must be a finite number (milliseconds), got ${describe(value)}`);
  }
  return value;
}

export function duration(value, name) {
  if (finite(value, name) < 0) throw new TypeError(`${name} must be >= 0, got ${value}`);
  return value;
}

/** A size or depth limit: 0 (the core's default) when not given. */
export function limit(value, name) {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0 || value > MAX_U32) {
    throw new TypeError(`${name} must be an integer from 0 (the default) to ${MAX_U32}, got ${describe(value)}`);
  }
  return value;
}

export function fixedBytes(value, length, name) {
  const bytes = bytesOf(value, name);
  if (bytes.length !== length) {
    throw new JazzRpcError("ERR_INVALID_ARGUMENT", 400, `${name} must be ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** The trailing arguments of the verify exports: now, window, skew, maxBytes, maxDepth. */
export function verifyArgs({ now, window = 60000, skew = 10000, maxBytes, maxDepth } = {}) {
  return [finite(now, "now"), duration(window, "window"), duration(skew, "skew"), limit(maxBytes, "maxBytes"), limit(maxDepth, "maxDepth")];
}

/** A value as an error message names it. */
export function describe(value) {
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object") return value.constructor?.name ?? "object";
  return typeof value === "string" ? "a string" : `${typeof value} ${String(value)}`;
}
