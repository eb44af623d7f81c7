/**
 * One copy of a string however many objects carry it: issuer names, Name values
 * other than the CN, chain messages repeat across thousands of certificates, and
 * V8 keeps every parsed or built string apart. Bounded: past `max` distinct
 * values everything is forgotten at once (an attacker's endless variety costs a
 * cleared map, never memory).
 */
export class Interner<V = string> {
  readonly #max: number;
  readonly #values = new Map<string, V>();

  constructor(max: number) {
    this.#max = max;
  }

  /** The value kept for `key`, made by `make` (and kept) the first time. */
  get(key: string, make: (key: string) => V): V {
    const known = this.#values.get(key);
    if (known !== undefined) return known;
    const value = make(key);
    if (this.#values.size >= this.#max) this.#values.clear();
    this.#values.set(key, value);
    return value;
  }
}

/** The identity, for {@link Interner.get} of plain strings. */
export const same = (s: string): string => s;
