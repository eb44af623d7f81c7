/**
 * Reads a Kubernetes List response (`{"kind":…,"metadata":{…},"items":[…]}`) as a
 * stream, handing out one parsed item at a time. A page is never held whole: with
 * 500 Helm releases of 50 KiB a page is 25 MB, and `Response.json()` would hold the
 * bytes, the decoded text and the parsed objects of all of them at once. Here the
 * memory is one object plus one network chunk, whatever the page size.
 *
 * The scanner only finds where each item starts and ends (string and nesting
 * aware); every item is then parsed by `JSON.parse`, so escapes and numbers mean
 * exactly what they mean in JSON. Key order is not assumed: `metadata` may follow
 * `items`.
 */

/** The List's own metadata: where the next page starts and the snapshot's version. */
export interface ListMeta {
  continue?: string;
  resourceVersion?: string;
}

/** The body is not a JSON object with an `items` array, or it ended early. */
export class ListBodyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ListBodyError";
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * Finds where one JSON value ends, across chunks. Strings are skipped with
 * `indexOf` (native, fast: nearly all of a Secret's bytes are base64 strings).
 */
class ValueScanner {
  #depth = 0;
  #inString = false;
  /** The next byte is escaped (a backslash ended the previous chunk). */
  #escaped = false;
  /** The value is a bare literal (number, true, false, null). */
  #literal = false;
  #started = false;
  /** The value's text so far, when it spans chunks (a chunk's buffer is reused). */
  #text = "";
  /** Bytes of the value so far. */
  #bytes = 0;
  readonly #maxBytes: number;
  readonly #decoder: TextDecoder;

  /**
   * `decoder` is shared by the List's scanners, which run one after the other. A value
   * over `maxBytes` is scanned to its end but never kept: {@link oversize} tells.
   */
  constructor(decoder: TextDecoder, maxBytes = Infinity) {
    this.#decoder = decoder;
    this.#maxBytes = maxBytes;
  }

  /** Whether the value was over the size limit (its text was dropped). */
  get oversize(): boolean {
    return this.#bytes > this.#maxBytes;
  }

  /**
   * Scans `buf` from `start`, where this value begins or continues. Returns the
   * index just past the value's end, or -1 when the value goes on in the next chunk.
   */
  scan(buf: Uint8Array, start: number): number {
    let i = start;
    if (!this.#started) {
      this.#started = true;
      const b = buf[i]!;
      if (b === QUOTE) {
        this.#inString = true;
        i++;
      } else if (b !== OPEN_BRACE && b !== OPEN_BRACKET) {
        this.#literal = true;
      }
    }
    const end = this.#literal ? this.#scanLiteral(buf, i) : this.#scanNested(buf, i);
    // Decoded now: the next chunk may land in the same buffer. A character split
    // across chunks waits in the decoder (stream mode) until the value's last piece.
    const piece = buf.subarray(start, end < 0 ? buf.length : end);
    const wasOver = this.oversize;
    this.#bytes += piece.length;
    if (this.oversize) {
      this.#text = "";
      if (!wasOver) this.#decoder.decode(); // drops a character split across chunks
    } else {
      this.#text += this.#decoder.decode(piece, { stream: end < 0 });
    }
    return end;
  }

  #scanLiteral(buf: Uint8Array, i: number): number {
    for (; i < buf.length; i++) {
      const b = buf[i]!;
      if (b === COMMA || b === CLOSE_BRACE || b === CLOSE_BRACKET || isSpace(b)) return i;
    }
    return -1;
  }

  #scanNested(buf: Uint8Array, i: number): number {
    const n = buf.length;
    while (i < n) {
      if (this.#inString) {
        if (this.#escaped) {
          this.#escaped = false;
          i++;
          continue;
        }
        const q = buf.indexOf(QUOTE, i);
        if (q < 0) {
          this.#escaped = trailingBackslashes(buf, i, n) % 2 === 1;
          return -1;
        }
        // A quote preceded by an odd run of backslashes is part of the string.
        const escapedQuote = trailingBackslashes(buf, i, q) % 2 === 1;
        i = q + 1;
        if (escapedQuote) continue;
        this.#inString = false;
        if (this.#depth === 0) return i; // the value was a string
        continue;
      }
      const b = buf[i++]!;
      if (b === QUOTE) this.#inString = true;
      else if (b === OPEN_BRACE || b === OPEN_BRACKET) this.#depth++;
      else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) {
        if (--this.#depth === 0) return i;
      }
    }
    return -1;
  }

  /** The value, parsed (once {@link scan} has found its end). */
  parse(): unknown {
    return JSON.parse(this.#text);
  }
}

/** How many backslashes end `buf[from..to)`. */
function trailingBackslashes(buf: Uint8Array, from: number, to: number): number {
  let k = to;
  while (k > from && buf[k - 1] === BACKSLASH) k--;
  return to - k;
}

/** A scanner for the value starting with byte `b`, which must be able to start one. */
function startValue(b: number, decoder: TextDecoder, maxBytes: number): ValueScanner {
  const opens = b === OPEN_BRACE || b === OPEN_BRACKET || b === QUOTE || b === 0x2d ||
    (b >= 0x30 && b <= 0x39) || b === 0x74 || b === 0x66 || b === 0x6e; // - 0-9 t f n
  if (!opens) throw new ListBodyError(`Unexpected byte ${b} where a value should start`);
  return new ValueScanner(decoder, maxBytes);
}

/** Size of the one buffer a List body is read into. */
const CHUNK = 64 * 1024;

interface ByteReader {
  /** The next chunk, valid until the next call; undefined at the end. */
  read(): Promise<Uint8Array | undefined>;
  cancel(): Promise<void>;
  release(): void;
}

/**
 * Reads `body` into one reused buffer when it is a byte stream (fetch bodies
 * are): 2 GB of Helm releases then cost no allocation per chunk, where a default
 * reader allocates 64 KiB per read and leaves the allocator fragmented.
 */
function byteReader(body: ReadableStream<Uint8Array>): ByteReader {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream: fall back to whatever chunks it hands out.
  }
  if (byob) {
    const reader = byob;
    let buf = new Uint8Array(CHUNK);
    return {
      async read() {
        const { value, done } = await reader.read(buf);
        if (done || !value) return undefined;
        buf = new Uint8Array(value.buffer); // the same memory, handed back
        return value;
      },
      cancel: () => reader.cancel().catch(() => {}),
      release: () => reader.releaseLock(),
    };
  }
  const reader = body.getReader();
  return {
    async read() {
      const { value, done } = await reader.read();
      return done ? undefined : value;
    },
    cancel: () => reader.cancel().catch(() => {}),
    release: () => reader.releaseLock(),
  };
}

type State =
  | "start" // before the top-level `{`
  | "key" // before a key, a `,` or the closing `}`
  | "colon"
  | "value" // before a top-level value
  | "items" // inside `items`: before an item, a `,` or the closing `]`
  | "end";

export interface ListReadOptions {
  /**
   * Largest item (or other top-level value) kept, in bytes. A larger one is scanned
   * past, never held nor parsed; `onOversize` is called and the List goes on.
   * @default Infinity
   */
  maxItemBytes?: number;
  /** Called once per value over `maxItemBytes`. */
  onOversize?: (limit: number) => void;
}

/**
 * Yields every item of the List in `body`, in order; the generator's return value
 * is the List's metadata. Throws {@link ListBodyError} on a malformed or truncated
 * body. Stopping early cancels the body.
 */
export async function* readListItems(
  body: ReadableStream<Uint8Array>,
  options: ListReadOptions = {},
): AsyncGenerator<unknown, ListMeta, void> {
  const maxBytes = options.maxItemBytes ?? Infinity;
  const reader = byteReader(body);
  const decoder = new TextDecoder();
  let state: State = "start";
  let key = "";
  /** A key split across chunks. */
  let keyScanner: ValueScanner | undefined;
  let value: ValueScanner | undefined;
  let meta: ListMeta = {};
  let sawItems = false;
  let finished = false;
  try {
    while (true) {
      const chunk = await reader.read();
      if (chunk === undefined) break;
      let i = 0;
      const n = chunk.length;
      while (i < n) {
        if (value) {
          // Inside a value (an item, or a top-level value such as metadata).
          const end = value.scan(chunk, i);
          if (end < 0) break;
          i = end;
          const oversize = value.oversize;
          const parsed = oversize ? undefined : value.parse();
          value = undefined;
          if (oversize) {
            options.onOversize?.(maxBytes);
            if (state !== "items") state = "key";
          } else if (state === "items") {
            yield parsed;
          } else {
            if (key === "metadata" && parsed && typeof parsed === "object") {
              meta = parsed as ListMeta;
            }
            state = "key";
          }
          continue;
        }
        if (keyScanner) {
          const end = keyScanner.scan(chunk, i);
          if (end < 0) break;
          i = end;
          key = keyScanner.parse() as string;
          keyScanner = undefined;
          state = "colon";
          continue;
        }
        const b = chunk[i]!;
        if (isSpace(b)) {
          i++;
          continue;
        }
        switch (state) {
          case "start":
            if (b !== OPEN_BRACE) throw new ListBodyError("List body is not a JSON object");
            state = "key";
            i++;
            break;
          case "key":
            if (b === COMMA) i++;
            else if (b === CLOSE_BRACE) {
              state = "end";
              i++;
            } else if (b === QUOTE) keyScanner = new ValueScanner(decoder);
            else throw new ListBodyError(`Unexpected byte ${b} before a key`);
            break;
          case "colon":
            if (b !== COLON) throw new ListBodyError(`Expected ':' after "${key}"`);
            state = "value";
            i++;
            break;
          case "value":
            if (key === "items" && b === OPEN_BRACKET) {
              sawItems = true;
              state = "items";
              i++;
            } else {
              if (key === "items") sawItems = true; // `"items": null` is an empty list
              value = startValue(b, decoder, maxBytes);
            }
            break;
          case "items":
            if (b === COMMA) i++;
            else if (b === CLOSE_BRACKET) {
              state = "key";
              i++;
            } else value = startValue(b, decoder, maxBytes);
            break;
          case "end":
            throw new ListBodyError("Trailing data after the List object");
        }
      }
    }
    if (state !== "end") throw new ListBodyError("List body ended early");
    if (!sawItems) throw new ListBodyError("List body has no items");
    finished = true;
    return meta;
  } finally {
    if (!finished) await reader.cancel();
    reader.release();
  }
}
