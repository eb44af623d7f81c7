import { decodeBase64 } from "../base64.ts";

/** One `-----BEGIN X-----` ... `-----END X-----` block, or the wreck of one. */
export interface PemBlock {
  readonly type: string;
  /** The decoded body; undefined when the block is broken (see `error`). */
  readonly der?: Uint8Array;
  readonly error?: string;
}

const BEGIN = "-----BEGIN ";
const DASHES = "-----";
const BASE64_LINE = /^[A-Za-z0-9+/=]*$/;

/** True when `data` looks like text holding at least one PEM block. */
export function hasPemMarker(data: Uint8Array): boolean {
  // "-----BEGIN" in ASCII; a byte scan avoids decoding binary files as text.
  const needle = [45, 45, 45, 45, 45, 66, 69, 71, 73, 78];
  outer: for (let i = 0; i + needle.length <= data.length; i++) {
    if (data[i] !== 45) continue;
    for (let j = 1; j < needle.length; j++) if (data[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/**
 * Splits PEM text into blocks. A broken block (no END line, a mismatched END,
 * bad base64) is returned with an `error` so the caller can report it while
 * keeping every good block around it — one corrupt certificate must never
 * hide the others in a bundle.
 */
export function splitPem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let pos = 0;
  while (true) {
    const begin = text.indexOf(BEGIN, pos);
    if (begin < 0) break;
    const typeEnd = text.indexOf(DASHES, begin + BEGIN.length);
    const lineEnd = nextLineEnd(text, begin);
    if (typeEnd < 0 || typeEnd > lineEnd) {
      blocks.push({ type: "", error: "Malformed BEGIN line" });
      pos = lineEnd;
      continue;
    }
    const type = text.slice(begin + BEGIN.length, typeEnd);
    const endMarker = `-----END ${type}-----`;
    const end = text.indexOf(endMarker, typeEnd);
    const nextBegin = text.indexOf(BEGIN, typeEnd);
    if (end < 0 || (nextBegin >= 0 && nextBegin < end)) {
      blocks.push({ type, error: `Missing "${endMarker}"` });
      pos = nextBegin >= 0 ? nextBegin : text.length;
      continue;
    }
    blocks.push(decodeBody(type, text.slice(lineEnd, end)));
    pos = end + endMarker.length;
  }
  return blocks;
}

function nextLineEnd(text: string, from: number): number {
  const nl = text.indexOf("\n", from);
  return nl < 0 ? text.length : nl + 1;
}

function decodeBody(type: string, body: string): PemBlock {
  let b64 = "";
  for (const raw of body.split("\n")) {
    const line = raw.trim();
    // RFC 1421 headers (Proc-Type, DEK-Info) carry no certificate data.
    if (line === "" || line.includes(":")) continue;
    if (!BASE64_LINE.test(line)) return { type, error: "Invalid base64 in body" };
    b64 += line;
  }
  const der = decodeBase64(b64);
  if (der === undefined) return { type, error: "Invalid base64 in body" };
  if (der.length === 0) return { type, error: "Empty body" };
  return { type, der };
}
