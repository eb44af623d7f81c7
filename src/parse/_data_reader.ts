/**
 * A bounds-checked reader of Java `DataOutputStream` output (big-endian).
 * Every read checks the bytes actually left first, so a hostile length or
 * count fails at once instead of allocating or looping on it.
 *
 * @module
 */

/** Builds the error thrown when the input ends early or is malformed. */
export type Failure = (detail: string) => Error;

export class DataReader {
  offset = 0;
  readonly fail: Failure;
  readonly #data: Uint8Array;
  readonly #view: DataView;

  constructor(data: Uint8Array, fail: Failure) {
    this.#data = data;
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.fail = fail;
  }

  u8(): number {
    this.#need(1);
    return this.#view.getUint8(this.offset++);
  }

  u16(): number {
    this.#need(2);
    const value = this.#view.getUint16(this.offset);
    this.offset += 2;
    return value;
  }

  u32(): number {
    this.#need(4);
    const value = this.#view.getUint32(this.offset);
    this.offset += 4;
    return value;
  }

  /** A view, not a copy: callers copy only what they keep. */
  bytes(length: number): Uint8Array {
    this.#need(length);
    const out = this.#data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  skip(length: number): void {
    this.#need(length);
    this.offset += length;
  }

  /**
   * A `writeUTF` string. Modified UTF-8 differs from UTF-8 only in how it
   * writes NUL and supplementary characters, which the names read here never hold.
   */
  utf(): string {
    return new TextDecoder().decode(this.bytes(this.u16()));
  }

  #need(length: number): void {
    if (length > this.#data.length - this.offset) {
      throw this.fail(`truncated at offset ${this.offset}: ${length} more bytes needed`);
    }
  }
}
