const encoder = new TextEncoder();

/**
 * An append-only byte buffer for the exposition text. A 10,000-certificate body
 * is ~12 MB: built as JS strings it costs a rope, a flattened copy and a UTF-8
 * copy per scrape, all garbage the heap then keeps as resident memory. Label sets
 * are encoded once and copied in; numbers are written digit by digit.
 */
export class ByteWriter {
  #buf: Uint8Array;
  #len = 0;

  constructor(capacity = 64 * 1024) {
    this.#buf = new Uint8Array(capacity);
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  bytes(b: Uint8Array): void {
    this.#reserve(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /** Appends ASCII text (names, numbers) or a {@link byteString}: one byte per char. */
  ascii(s: string): void {
    this.#reserve(s.length);
    for (let i = 0; i < s.length; i++) this.#buf[this.#len++] = s.charCodeAt(i);
  }

  /** Appends any text as UTF-8. */
  text(s: string): void {
    this.bytes(encoder.encode(s));
  }

  get length(): number {
    return this.#len;
  }

  /** The bytes written so far (the buffer itself when it was sized exactly). */
  result(): Uint8Array {
    return this.#len === this.#buf.length ? this.#buf : this.#buf.slice(0, this.#len);
  }
}

/** Copies ASCII text or a {@link byteString} into `buf` at `at`; returns the end. */
export function writeBytes(buf: Uint8Array, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[at++] = s.charCodeAt(i);
  return at;
}

// deno-lint-ignore no-control-regex -- the whole ASCII range, control characters included
const ASCII = /^[\x00-\x7f]*$/;

/**
 * `s` as a byte string: one char (0..255) per byte of its UTF-8 encoding, so that
 * {@link ByteWriter.ascii} copies it as is. ASCII text (nearly every label) is
 * its own byte string.
 */
export function byteString(s: string): string {
  if (ASCII.test(s)) return s;
  const bytes = encoder.encode(s);
  let out = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return out;
}
