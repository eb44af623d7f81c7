import type { Item } from "../bundle.ts";
import type { DecodeLimits } from "./limits.ts";

/**
 * Gathers the items of one bundle under the per-bundle caps. Items past a cap
 * are counted, not kept, and `finish()` reports them as one `too_many_items`
 * item: a flood of broken blocks costs a bounded number of series, and the
 * count still tells the operator how bad it is.
 *
 * Indexes are positions among everything offered, kept or dropped, so the
 * certificates before a flood keep the index they had without it.
 */
export class ItemCollector {
  readonly #limits: Pick<DecodeLimits, "maxCertificates" | "maxErrorItems">;
  readonly #items: Item[] = [];
  #certificates = 0;
  #errors = 0;
  #dropped = 0;
  #offered = 0;

  constructor(limits: Pick<DecodeLimits, "maxCertificates" | "maxErrorItems">) {
    this.#limits = limits;
  }

  /** The index of the next item offered. */
  get next(): number {
    return this.#offered;
  }

  /** True when both caps are reached: whatever comes next is dropped, so it need not be parsed. */
  get full(): boolean {
    return this.#certificates >= this.#limits.maxCertificates &&
      this.#errors >= this.#limits.maxErrorItems;
  }

  add(item: Item): void {
    this.#offered++;
    if (item.kind === "error") {
      if (this.#errors < this.#limits.maxErrorItems) {
        this.#errors++;
        this.#items.push(item);
        return;
      }
    } else if (this.#certificates < this.#limits.maxCertificates) {
      this.#certificates++;
      this.#items.push(item);
      return;
    }
    this.#dropped++;
  }

  /** Counts one item that would have been dropped anyway, without building it. */
  skip(): void {
    this.#offered++;
    this.#dropped++;
  }

  finish(): Item[] {
    // A copy sized to its items: an array grown by push keeps 17 slots for a bundle's 5
    // (96 bytes a bundle, 2 MiB at 100,000 certificates in 20,000 files).
    if (this.#dropped === 0) return this.#items.slice();
    const { maxCertificates, maxErrorItems } = this.#limits;
    return [...this.#items, {
      kind: "error",
      reason: "too_many_items",
      message: `Dropped ${this.#dropped} more items: a bundle keeps at most ${maxCertificates} ` +
        `certificates and ${maxErrorItems} errors`,
      index: this.#offered,
    }];
  }
}
