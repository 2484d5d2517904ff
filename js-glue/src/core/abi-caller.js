// Calling the module's exports: the one place where arguments cross into module memory
// and results come out. Inputs are copied into module memory (jazzrpc_alloc) and always
// released (jazzrpc_free wipes them); outputs are read from the module's output buffer.
// Module memory can grow during any call, so views of it are never kept.
//
// Small inputs are written into one scratch block of module memory, allocated once
// and wiped (zeroed) after every call; larger ones get a block of their own, freed
// (and wiped) by jazzrpc_free. Calls never nest: wasm calls no JS that calls back.
import { JazzRpcError } from "./errors.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const SCRATCH_BYTES = 16 << 10;

/** An argument passed as a pointer alone: its length is fixed by the ABI (a 32-byte seed). */
export class PointerOnly {
  constructor(bytes) {
    this.bytes = bytes;
  }
}

/** The exports of one instance, and its scratch block. Held by one Core, never handed out. */
export class AbiCaller {
  #mem; // a view of module memory, renewed when the memory grows
  #scratchView = null;

  /** @param {WebAssembly.Exports} exports of an instantiated, initialized jazzrpc module */
  constructor(exports) {
    /** The module's exports (also what identifies the core a Signer belongs to). */
    this.exports = exports;
    /** The scratch block's address. */
    this.scratch = exports.jazzrpc_alloc(SCRATCH_BYTES) >>> 0;
    if (this.scratch === 0) throw new JazzRpcError("ERR_INTERNAL", 500, "Internal error (out of module memory)");
    this.#mem = new Uint8Array(exports.memory.buffer);
  }

  #memory() {
    const buffer = this.exports.memory.buffer;
    if (this.#mem.buffer !== buffer) this.#mem = new Uint8Array(buffer);
    return this.#mem;
  }

  /**
   * Calls an export. Strings and bytes become (pointer, length) pairs, PointerOnly a
   * pointer, numbers pass through. Returns the raw result.
   */
  call(name, ...args) {
    const x = this.exports;
    const scratch = this.scratch;
    let used = 0; // bytes of the scratch block taken by arguments
    let dirty = 0; // bytes of the scratch block written (an argument that did not fit may have begun there)
    let held = null; // [pointer, length] of blocks of their own: freed (and wiped) by jazzrpc_free
    const allocate = (size) => {
      const ptr = x.jazzrpc_alloc(size) >>> 0;
      if (ptr === 0) throw new JazzRpcError("ERR_INTERNAL", 500, `Internal error (out of module memory for ${size} bytes)`);
      (held ??= []).push(ptr, size);
      return ptr;
    };
    try {
      const flat = [];
      for (const arg of args) {
        if (typeof arg === "number") {
          flat.push(arg);
        } else if (typeof arg === "string") {
          // UTF-8 written straight into module memory, with no copy in JS (which held
          // secrets until wiped): into the scratch block when it fits for sure (three
          // bytes per UTF-16 unit at most) or as ASCII, else into a block of the size
          // UTF-8 may need.
          const free = SCRATCH_BYTES - used;
          let ptr = scratch + used;
          let { read, written } = arg.length <= free ? this.#encode(arg, ptr, free) : { read: -1, written: 0 };
          dirty = Math.max(dirty, used + written);
          if (read === arg.length) {
            used += written;
          } else {
            ptr = allocate(Math.max(1, arg.length * 3));
            ({ written } = this.#encode(arg, ptr, arg.length * 3));
          }
          flat.push(ptr, written);
        } else {
          const fixed = arg instanceof PointerOnly;
          const bytes = fixed ? arg.bytes : arg;
          let ptr;
          if (bytes.length <= SCRATCH_BYTES - used) {
            ptr = scratch + used;
            used += bytes.length;
            dirty = Math.max(dirty, used);
          } else {
            ptr = allocate(bytes.length);
          }
          this.#memory().set(bytes, ptr);
          flat.push(ptr);
          if (!fixed) flat.push(bytes.length);
        }
      }
      return x[name](...flat);
    } finally {
      if (dirty > 0) this.#memory().fill(0, scratch, scratch + dirty);
      if (held !== null) for (let i = 0; i < held.length; i += 2) x.jazzrpc_free(held[i], held[i + 1]);
    }
  }

  /** Like call(), but a negative result throws the matching JazzRpcError. */
  check(name, ...args) {
    const result = this.call(name, ...args);
    if (result < 0) throw JazzRpcError.fromStatus(-result);
    return result;
  }

  /**
   * Writes an id (not a secret, so not wiped) into the scratch block, for the replay
   * set's exports, one call per request: returns its UTF-8 length, or -1 when it may
   * not fit (then the caller goes through call()).
   */
  writeId(text) {
    if (text.length * 3 > SCRATCH_BYTES) return -1;
    const buffer = this.exports.memory.buffer;
    if (this.#scratchView?.buffer !== buffer) this.#scratchView = new Uint8Array(buffer, this.scratch, SCRATCH_BYTES);
    return encoder.encodeInto(text, this.#scratchView).written;
  }

  #encode(text, ptr, size) {
    return encoder.encodeInto(text, this.#memory().subarray(ptr, ptr + size));
  }

  /** The output buffer as a copy; wiped in the module when it held a secret. */
  outputBytes(secret = false) {
    const x = this.exports;
    const ptr = x.jazzrpc_output_ptr() >>> 0;
    const len = x.jazzrpc_output_len() >>> 0;
    const out = this.#memory().slice(ptr, ptr + len);
    if (secret) x.jazzrpc_output_wipe();
    return out;
  }

  /** The output buffer as text; wiped in the module when it held a secret. */
  outputText(secret = false) {
    const x = this.exports;
    const ptr = x.jazzrpc_output_ptr() >>> 0;
    const len = x.jazzrpc_output_len() >>> 0;
    const text = decoder.decode(this.#memory().subarray(ptr, ptr + len));
    if (secret) x.jazzrpc_output_wipe();
    return text;
  }
}
