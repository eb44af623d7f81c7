/**
 * The `/metrics` body kept compressed. Prometheus asks for gzip on every scrape;
 * 10,000 certificates are 10.6 MB of text but 0.3 MB of deflate, so the
 * certificate families are cached as deflate, not as text.
 *
 * A response is one gzip member built without recompressing anything: the small,
 * always-fresh part as stored (uncompressed) deflate blocks, then the cached
 * deflate stream, which was compressed on its own and so never refers back into
 * what precedes it; the trailer's CRC-32 is combined from both parts' CRCs. One
 * member, not two concatenated gzip files: curl and browsers stop after the first.
 */

/** A text compressed once: raw deflate (ending with the final block), its CRC-32 and length. */
export interface Deflated {
  readonly deflate: Uint8Array<ArrayBuffer>;
  readonly crc: number;
  /** Length of the uncompressed text, bytes. */
  readonly length: number;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE, as gzip uses) of `bytes`, continuing from `crc`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** `mat` (a 32×32 matrix over GF(2), one column per entry) times the vector `vec`. */
function gf2Times(mat: Uint32Array, vec: number): number {
  let sum = 0;
  for (let i = 0; vec !== 0; i++, vec >>>= 1) if (vec & 1) sum ^= mat[i]!;
  return sum >>> 0;
}

function gf2Square(out: Uint32Array, mat: Uint32Array): void {
  for (let n = 0; n < 32; n++) out[n] = gf2Times(mat, mat[n]!);
}

/**
 * CRC-32 of A followed by B, from CRC(A), CRC(B) and B's length: CRC(A) is
 * advanced through len(B) zero bytes by repeated squaring of the one-zero-bit
 * operator (log2 steps), then B's CRC is xored in.
 */
export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  const odd = new Uint32Array(32); // operator for one zero bit
  const even = new Uint32Array(32);
  odd[0] = 0xedb88320;
  for (let n = 1; n < 32; n++) odd[n] = (1 << (n - 1)) >>> 0;
  gf2Square(even, odd); // two zero bits
  gf2Square(odd, even); // four zero bits
  let crc = crcA >>> 0;
  let len = lengthB;
  // Each round squares the operator (one zero byte, two, four…) and applies it for each set bit.
  while (len > 0) {
    gf2Square(even, odd);
    if (len % 2 === 1) crc = gf2Times(even, crc);
    len = Math.floor(len / 2);
    if (len === 0) break;
    gf2Square(odd, even);
    if (len % 2 === 1) crc = gf2Times(odd, crc);
    len = Math.floor(len / 2);
  }
  return (crc ^ crcB) >>> 0;
}

/** `bytes` as non-final stored deflate blocks (at most 65,535 bytes each, byte-aligned). */
export function storedBlocks(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const blocks = Math.max(1, Math.ceil(bytes.length / 0xffff));
  const out = new Uint8Array(bytes.length + blocks * 5);
  let at = 0;
  for (let b = 0, from = 0; b < blocks; b++) {
    const len = Math.min(0xffff, bytes.length - from);
    // Header bits BFINAL=0, BTYPE=00, then padding to the byte boundary: one zero byte.
    out[at++] = 0;
    out[at++] = len & 0xff;
    out[at++] = len >>> 8;
    out[at++] = ~len & 0xff;
    out[at++] = (~len >>> 8) & 0xff;
    out.set(bytes.subarray(from, from + len), at);
    at += len;
    from += len;
  }
  return out;
}

/** A gzip header: no name, no time, unknown OS. */
const GZIP_HEADER = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);

/**
 * The chunks of one gzip member holding `prefix` then the text `cached` holds.
 * `cached.deflate` is sent as is, never copied.
 */
export function gzipMember(prefix: Uint8Array, cached: Deflated): Uint8Array<ArrayBuffer>[] {
  const crc = crc32Combine(crc32(prefix), cached.crc, cached.length);
  const length = (prefix.length + cached.length) % 2 ** 32;
  const stored = storedBlocks(prefix);
  const head = new Uint8Array(GZIP_HEADER.length + stored.length);
  head.set(GZIP_HEADER);
  head.set(stored, GZIP_HEADER.length);
  const trailer = new Uint8Array(8);
  const view = new DataView(trailer.buffer);
  view.setUint32(0, crc, true);
  view.setUint32(4, length, true);
  return [head, cached.deflate, trailer];
}

/**
 * Compresses what `produce` writes. `write` may be handed the same buffer again
 * once its promise has resolved: the compressor has consumed it by then, so a
 * 10 MB text can go through one reused 64 KiB buffer.
 */
export async function deflate(
  produce: (write: (chunk: Uint8Array<ArrayBuffer>) => Promise<void>) => Promise<void>,
): Promise<Deflated> {
  const stream = new CompressionStream("gzip");
  const writer = stream.writable.getWriter();
  const collected = new Response(stream.readable).bytes();
  try {
    await produce((chunk) => writer.write(chunk));
    await writer.close();
  } catch (err) {
    await writer.abort(err).catch(() => {});
    await collected.catch(() => {});
    throw err;
  }
  const gz = await collected;
  const start = gzipHeaderLength(gz);
  const view = new DataView(gz.buffer, gz.byteOffset, gz.byteLength);
  return {
    // A copy, so the cache holds exactly the deflate bytes and not the whole gzip buffer.
    deflate: gz.slice(start, gz.length - 8),
    crc: view.getUint32(gz.length - 8, true),
    length: view.getUint32(gz.length - 4, true),
  };
}

/** Text chunks {@link inflated} aims at: larger ones cost more GC and RSS (measured up to 512 KiB). */
const INFLATED_CHUNK = 64 * 1024;

/**
 * The text `cached` holds, inflated about 64 KiB at a time as the reader asks
 * for it. Clients without gzip get the cached body this way: inflating goes at
 * ~3 GB/s where writing the text anew in JavaScript went at ~0.4 (32 MB with the
 * facts on: ~15 instead of ~65 ms of CPU a scrape, measured). The deflate is fed
 * in pieces of 64 KiB over its compression ratio, so each piece inflates to
 * about one chunk; one piece in one go made a 28 MB chunk, and 3x slower.
 */
export async function* inflated(
  cached: Deflated,
): AsyncGenerator<Uint8Array<ArrayBuffer>, void, void> {
  const ratio = cached.length / Math.max(1, cached.deflate.length);
  const piece = Math.max(64, Math.min(INFLATED_CHUNK, Math.floor(INFLATED_CHUNK / ratio)));
  const { readable, writable } = new DecompressionStream("deflate-raw");
  const writer = writable.getWriter();
  const feeding = (async () => {
    for (let at = 0; at < cached.deflate.length; at += piece) {
      // A view, not a copy: the stream reads it before the write resolves and keeps nothing.
      await writer.write(cached.deflate.subarray(at, at + piece));
    }
    await writer.close();
  })();
  // A reader that stops early cancels the stream; the writes then fail, and that is expected.
  feeding.catch(() => {});
  const reader = readable.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield value as Uint8Array<ArrayBuffer>;
    }
    await feeding;
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** Length of the gzip header at the start of `gz` (RFC 1952 §2.3). */
function gzipHeaderLength(gz: Uint8Array): number {
  if (gz[0] !== 0x1f || gz[1] !== 0x8b || gz[2] !== 8) throw new Error("Not a gzip stream");
  const flags = gz[3]!;
  let at = 10;
  if (flags & 4) at += 2 + (gz[at]! | (gz[at + 1]! << 8)); // FEXTRA
  if (flags & 8) { while (gz[at++] !== 0); // FNAME
   }
  if (flags & 16) { while (gz[at++] !== 0); // FCOMMENT
   }
  if (flags & 2) at += 2; // FHCRC
  return at;
}
