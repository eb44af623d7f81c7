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

  /** Appends text that is known to be ASCII (names, numbers). */
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

/** UTF-8 encoding of `s`, for caching. */
export function encode(s: string): Uint8Array {
  return encoder.encode(s);
}
