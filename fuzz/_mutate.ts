/**
 * Seeded mutations of valid inputs: what a hostile or broken file looks like. Every
 * case is a pure function of (seed, index), so a failure replays from the two numbers.
 */
import { prng } from "../tests/testing/keystores.ts";

export { prng };

/** The PRNG seed of case `index` of a run seeded with `seed`. */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ index, 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

const enc = new TextEncoder();
const PEM_LINES = [
  "-----BEGIN CERTIFICATE-----\n",
  "-----END CERTIFICATE-----\n",
  "-----BEGIN X509 CRL-----\n",
  "-----BEGIN TRUSTED CERTIFICATE-----\n",
  "-----BEGIN PRIVATE KEY-----\n",
  "=\n",
  "\r\n",
];
/** DER lengths that lie: indefinite, long-form huge, 0. */
const LENGTHS = [[0x80], [0x84, 0x7f, 0xff, 0xff, 0xff], [0x83, 0xff, 0xff, 0xff], [0x00], [
  0xff,
  0xff,
  0xff,
  0xff,
]];

/** One to four mutations of `base`: bit flips, cuts, lying lengths, splices, repeats. */
export function mutate(
  base: Uint8Array,
  random: () => number,
  others: readonly Uint8Array[],
): Uint8Array {
  const int = (n: number) => Math.floor(random() * n);
  let data: Uint8Array = base.slice();
  for (let round = 1 + int(4); round > 0; round--) {
    const at = int(data.length + 1);
    switch (int(9)) {
      case 0: // bit flips
        for (let n = 1 + int(16); n > 0 && data.length; n--) data[int(data.length)]! ^= 1 << int(8);
        break;
      case 1: // truncation
        data = data.slice(0, at);
        break;
      case 2: { // a lying length
        const l = LENGTHS[int(LENGTHS.length)]!;
        data = concat(
          data.slice(0, at),
          Uint8Array.from(l),
          data.slice(Math.min(data.length, at + l.length)),
        );
        break;
      }
      case 3: { // a PEM armour line where it does not belong
        const line = enc.encode(PEM_LINES[int(PEM_LINES.length)]!);
        data = concat(data.slice(0, at), line, data.slice(at));
        break;
      }
      case 4: { // a chunk repeated (amplifiers: many blocks, many entries)
        const len = 1 + int(Math.min(256, Math.max(1, data.length - at)));
        const chunk = data.slice(at, at + len);
        const times = 1 + int(200);
        const parts = [data.slice(0, at)];
        for (let t = 0; t < times; t++) parts.push(chunk);
        parts.push(data.slice(at));
        data = concat(...parts);
        break;
      }
      case 5: { // spliced with another seed
        const other = others[int(others.length)]!;
        data = concat(data.slice(0, at), other.slice(int(other.length)));
        break;
      }
      case 6: // random bytes
        data = concat(
          data.slice(0, at),
          Uint8Array.from({ length: int(64) }, () => int(256)),
          data.slice(at),
        );
        break;
      case 7: // a byte range zeroed
        data.fill(0, at, at + int(64));
        break;
      default: // deletion
        data = concat(data.slice(0, at), data.slice(at + 1 + int(32)));
    }
  }
  return data;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
