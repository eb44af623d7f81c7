/**
 * Writing exposition text straight into byte buffers: the body of 10,000
 * certificates is ~11 MB, and built as one JS string it costs a rope, a
 * flattened copy and a UTF-8 copy, garbage the heap then keeps as resident
 * memory.
 */
const encoder = new TextEncoder();

/** Copies ASCII text (names, numbers) into `buf` at `at`; returns the end. Short strings: a loop beats a call. */
export function writeAscii(buf: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[at++] = s.charCodeAt(i);
  return at;
}

/**
 * Copies `bytes` into `buf` at `at`; returns the end. For constant text encoded
 * once: one memcpy, where a byte loop over a 50-character constant was a third
 * of a render's time (measured at 100,000 certificates).
 */
export function writeBytes(buf: Uint8Array, at: number, bytes: Uint8Array): number {
  buf.set(bytes, at);
  return at + bytes.length;
}

/** `s` as UTF-8 bytes, for {@link writeBytes}. */
export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

/**
 * Strings up to this long are tried as ASCII first. 256, not 64: file paths (often
 * longer than 64) went through `encodeInto`, a view and a result object each (with the
 * issuer labels, since copied as bytes: 61 of a first render's 204 MB of garbage at 100,000).
 */
const SHORT = 256;

/**
 * Copies a short ASCII `s` into `buf` at `at` and returns the end, or returns -1
 * (leaving a partial copy, to be overwritten) if it is long, not ASCII, or, with
 * `labelValue`, holds a character a label value escapes (`"`, `\`, newline).
 * `encodeInto` needs a view of `buf` made for each call, and at ~10 pieces a line
 * those views were most of a render's garbage; checking a value for escapes in
 * the same loop saves a regular expression test per value.
 */
export function copyShortAscii(buf: Uint8Array, at: number, s: string, labelValue = false): number {
  if (s.length > SHORT) return -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f || (labelValue && (c === 0x22 || c === 0x5c || c === 0x0a))) return -1;
    buf[at + i] = c;
  }
  return at + s.length;
}

/** Encodes `s` as UTF-8 into `buf` at `at`, which must have room ({@link utf8Length}); returns the end. */
export function writeUtf8(buf: Uint8Array, at: number, s: string): number {
  const end = copyShortAscii(buf, at, s);
  return end >= 0 ? end : at + encoder.encodeInto(s, buf.subarray(at)).written;
}

// deno-lint-ignore no-control-regex -- the whole ASCII range, control characters included
const ASCII = /^[\x00-\x7f]*$/;

/** Bytes of `s` in UTF-8 (as TextEncoder writes it: a lone surrogate is 3 bytes). */
export function utf8Length(s: string): number {
  return ASCII.test(s) ? s.length : encoder.encode(s).length;
}
