/**
 * A minimal, bounds-checked DER reader: just enough ASN.1 to pull the fields
 * the exporter needs out of certificates and CRLs without a general-purpose
 * library. Measured: a full certificate walk costs a few microseconds, against
 * ~700 µs for @peculiar/x509, which is what makes a 10,000-certificate first
 * sync fit in well under a second.
 */

/** Raised for any structural problem; callers map it onto a reason code. */
export class DerError extends SyntaxError {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at byte ${offset}`);
    this.name = "DerError";
    this.offset = offset;
  }
}

/** One TLV: `tag` is the full identifier octet, the value spans `[start, end)`. */
export interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
  /** Offset of the identifier octet, so the whole encoding is `[offset, end)`. */
  readonly offset: number;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  NUMERIC_STRING: 0x12,
  PRINTABLE_STRING: 0x13,
  T61_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Reads the TLV at `offset`, refusing anything that would run past `limit`. */
export function readTlv(data: Uint8Array, offset: number, limit = data.length): Tlv {
  if (offset + 2 > limit) throw new DerError("Truncated TLV header", offset);
  const tag = data[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError("High-tag-number form is not used here", offset);
  let pos = offset + 1;
  const first = data[pos++]!;
  let length: number;
  if (first < 0x80) {
    length = first;
  } else if (first === 0x80) {
    throw new DerError("Indefinite length is not DER", offset);
  } else {
    const count = first & 0x7f;
    // Four length octets already describe 4 GiB; anything larger is hostile input.
    if (count > 4) throw new DerError("Length field too large", offset);
    if (pos + count > limit) throw new DerError("Truncated length", offset);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + data[pos++]!;
  }
  const end = pos + length;
  if (end > limit) throw new DerError("Value runs past its container", offset);
  return { tag, start: pos, end, offset };
}

/** Reads every TLV directly inside `parent`. */
export function children(data: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let pos = parent.start;
  while (pos < parent.end) {
    const tlv = readTlv(data, pos, parent.end);
    out.push(tlv);
    pos = tlv.end;
  }
  return out;
}

/** Reads the TLV at `offset` and checks its tag. */
export function expect(data: Uint8Array, offset: number, tag: number, limit?: number): Tlv {
  const tlv = readTlv(data, offset, limit);
  if (tlv.tag !== tag) {
    throw new DerError(`Expected tag 0x${hex2(tag)}, found 0x${hex2(tlv.tag)}`, offset);
  }
  return tlv;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, "0");
}

/**
 * Dotted forms of the OIDs met so far, by their bytes as two numbers (six bytes each, which a
 * double holds exactly): a certificate names a dozen OIDs, a fleet a few dozen in all, and
 * decoding each anew was ~4% of a first sync. Bounded, so input full of distinct OIDs cannot
 * grow it; OIDs over 12 bytes are decoded every time.
 */
const KNOWN_OIDS = new Map<number, Map<number, string>>();
const KNOWN_OIDS_MAX = 4096;
let knownOids = 0;

/** Decodes an OBJECT IDENTIFIER into dotted form. */
export function decodeOid(data: Uint8Array, tlv: Tlv): string {
  const length = tlv.end - tlv.start;
  if (length <= 0) throw new DerError("Empty OID", tlv.offset);
  if (length > 12) return dottedOid(data, tlv);
  const split = Math.min(length, 6);
  let head = 0;
  for (let i = tlv.start; i < tlv.start + split; i++) head = head * 256 + data[i]!;
  let tail = length; // the length first: "55 04" and "55 04 00" differ
  for (let i = tlv.start + split; i < tlv.end; i++) tail = tail * 256 + data[i]!;
  let byTail = KNOWN_OIDS.get(head);
  let dotted = byTail?.get(tail);
  if (dotted === undefined) {
    dotted = dottedOid(data, tlv);
    if (knownOids < KNOWN_OIDS_MAX) {
      if (!byTail) KNOWN_OIDS.set(head, byTail = new Map());
      byTail.set(tail, dotted);
      knownOids++;
    }
  }
  return dotted;
}

function dottedOid(data: Uint8Array, tlv: Tlv): string {
  const parts: number[] = [];
  let value = 0;
  for (let i = tlv.start; i < tlv.end; i++) {
    const b = data[i]!;
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else {
        parts.push(value);
      }
      value = 0;
    }
  }
  return parts.join(".");
}

/** Decodes a two's-complement INTEGER into a decimal string, like Go's big.Int.String(). */
export function decodeIntegerDecimal(data: Uint8Array, tlv: Tlv): string {
  const len = tlv.end - tlv.start;
  if (len === 0) throw new DerError("Empty INTEGER", tlv.offset);
  if (len <= 6) {
    // Fits a double exactly: skip BigInt for the common short serials.
    let v = 0;
    for (let i = tlv.start; i < tlv.end; i++) v = v * 256 + data[i]!;
    if (data[tlv.start]! & 0x80) v -= 2 ** (8 * len);
    return String(v);
  }
  let hex = "";
  for (let i = tlv.start; i < tlv.end; i++) hex += hex2(data[i]!);
  let v = BigInt("0x" + hex);
  if (data[tlv.start]! & 0x80) v -= 1n << BigInt(8 * len);
  return v.toString();
}

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8");
const utf16be = new TextDecoder("utf-16be");

/** Decodes the ASN.1 string types used in names; returns undefined for non-strings (as Go skips them). */
export function decodeString(data: Uint8Array, tlv: Tlv): string | undefined {
  const bytes = data.subarray(tlv.start, tlv.end);
  switch (tlv.tag) {
    case TAG.UTF8_STRING:
      return utf8.decode(bytes);
    case TAG.PRINTABLE_STRING:
    case TAG.IA5_STRING:
    case TAG.NUMERIC_STRING:
    case TAG.T61_STRING:
      return latin1.decode(bytes);
    case TAG.BMP_STRING:
      return utf16be.decode(bytes);
    case TAG.UNIVERSAL_STRING: {
      let s = "";
      for (let i = 0; i + 3 < bytes.length; i += 4) {
        s += String.fromCodePoint(
          ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0,
        );
      }
      return s;
    }
    default:
      return undefined;
  }
}

/**
 * Decodes UTCTime / GeneralizedTime into seconds since the epoch, accepting
 * exactly what Go's crypto/x509 accepts, so a certificate upstream rejects is
 * an error here too rather than a wrong date:
 * - UTCTime `YYMMDDHHMM[SS]` then `Z` or `±hhmm`; YY 50–99 is 19YY, 00–49 is
 *   20YY (RFC 5280 §4.1.2.5.1).
 * - GeneralizedTime `YYYYMMDDHHMMSS` then `Z` or `±hhmm`, no fraction; the
 *   year is taken as written, 0001 included.
 * - Every field in range for its month and year: no Feb 30, no hour 24, no
 *   second 60. A zero offset must be written `Z` (Go re-formats and compares).
 */
export function decodeTime(data: Uint8Array, tlv: Tlv): number {
  const s = latin1.decode(data.subarray(tlv.start, tlv.end));
  let year: number;
  let pos: number;
  if (tlv.tag === TAG.UTC_TIME) {
    const yy = digits(s, 0, 2);
    year = yy < 0 ? -1 : yy >= 50 ? 1900 + yy : 2000 + yy;
    pos = 2;
  } else if (tlv.tag === TAG.GENERALIZED_TIME) {
    year = digits(s, 0, 4);
    pos = 4;
  } else {
    throw new DerError("Expected a time", tlv.offset);
  }
  const month = digits(s, pos, 2);
  const day = digits(s, pos + 2, 2);
  const hour = digits(s, pos + 4, 2);
  const minute = digits(s, pos + 6, 2);
  pos += 8;
  // Seconds are optional in UTCTime only (Go accepts the minute form RFC 5280 forbids).
  let second = 0;
  if (tlv.tag === TAG.GENERALIZED_TIME || (s[pos] !== "Z" && s[pos] !== "+" && s[pos] !== "-")) {
    second = digits(s, pos, 2);
    pos += 2;
  }
  const offset = zoneOffset(s, pos);
  if (
    year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) ||
    hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 ||
    offset === undefined
  ) {
    const kind = tlv.tag === TAG.UTC_TIME ? "UTCTime" : "GeneralizedTime";
    throw new DerError(`Bad ${kind} "${s}"`, tlv.offset);
  }
  return daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
}

/** The non-negative number written with `count` ASCII digits at `at`, or -1. */
function digits(s: string, at: number, count: number): number {
  if (at + count > s.length) return -1;
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** Seconds east of UTC for a `Z` or `±hhmm` suffix that ends the string; undefined if malformed. */
function zoneOffset(s: string, at: number): number | undefined {
  if (s[at] === "Z") return at + 1 === s.length ? 0 : undefined;
  if ((s[at] !== "+" && s[at] !== "-") || at + 5 !== s.length) return undefined;
  const hours = digits(s, at + 1, 2);
  const minutes = digits(s, at + 3, 2);
  // Go's time.Parse takes offset hours up to 24 (and re-formats them the same).
  if (hours < 0 || hours > 24 || minutes < 0 || minutes > 59) return undefined;
  const seconds = hours * 3600 + minutes * 60;
  if (seconds === 0) return undefined;
  return s[at] === "+" ? seconds : -seconds;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date, in integer arithmetic:
 * Date.UTC would read years 0–99 as 1900–1999.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) +
    dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * Refuses BER/DER whose constructed values nest deeper than `maxDepth`,
 * without recursing: for input about to be handed to a recursive parser
 * (node-forge's), which would otherwise walk any depth the bytes describe.
 * Only the first top-level value is walked; where the encoding turns
 * malformed the walk stops and leaves the verdict to that parser.
 */
export function checkNesting(data: Uint8Array, maxDepth: number): void {
  /** End offset of each open constructed value; -1 for an indefinite length. */
  const ends: number[] = [];
  let pos = 0;
  while (pos < data.length) {
    let top = ends[ends.length - 1];
    while (top !== undefined && top >= 0 && pos >= top) {
      ends.pop();
      top = ends[ends.length - 1];
    }
    if (top === undefined && pos > 0) return; // the first value is done
    if (top === -1 && data[pos] === 0 && data[pos + 1] === 0) {
      ends.pop(); // end-of-contents of an indefinite length
      pos += 2;
      continue;
    }
    const identifier = data[pos++]!;
    if ((identifier & 0x1f) === 0x1f) {
      while (pos < data.length && data[pos]! & 0x80) pos++; // high-tag-number form
      pos++;
    }
    if (pos >= data.length) return;
    const first = data[pos++]!;
    let length = -1;
    if (first < 0x80) length = first;
    else if (first > 0x80) {
      const count = first & 0x7f;
      if (count > 4 || pos + count > data.length) return;
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + data[pos++]!;
    }
    if (identifier & 0x20) {
      if (ends.length >= maxDepth) {
        throw new DerError(`Nested deeper than ${maxDepth} levels`, pos);
      }
      ends.push(length < 0 ? -1 : pos + length);
    } else {
      if (length < 0) return; // a primitive cannot have an indefinite length
      pos += length;
    }
  }
}

/**
 * `data` as a "binary string", one char per byte (node-forge's currency, and a
 * compact way to keep bytes: a one-byte string has no buffer and no view beside
 * it). Chunked: `String.fromCharCode(...hugeArray)` overflows the call stack.
 */
export function toBinary(data: Uint8Array): string {
  let out = "";
  for (let i = 0; i < data.length; i += 0x8000) {
    // apply() takes the typed array as it is: 4x faster than spreading it into an argument list.
    out += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000) as unknown as number[]);
  }
  return out;
}

/** The bytes of a binary string ({@link toBinary}). */
export function fromBinary(bytes: string): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes.charCodeAt(i);
  return out;
}
