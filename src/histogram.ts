/**
 * Cumulative histograms keyed by a label set: what the store keeps of latency
 * observations until a scrape renders them. Buckets are upper bounds, as in
 * Prometheus; the `+Inf` bucket is the count.
 */
export interface HistogramSeries {
  /** Label pairs in exposition order. */
  readonly labels: readonly (readonly [string, string])[];
  /** Observations at or below each bound, cumulative. */
  readonly buckets: number[];
  sum: number;
  count: number;
}

export class Histograms {
  readonly bounds: readonly number[];
  readonly #series = new Map<string, HistogramSeries>();

  constructor(bounds: readonly number[]) {
    this.bounds = bounds;
  }

  observe(labels: readonly (readonly [string, string])[], value: number): void {
    const key = labels.map(([k, v]) => `${k}\u0000${v}`).join("\u0001");
    let s = this.#series.get(key);
    if (!s) {
      s = { labels, buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    for (let i = 0; i < this.bounds.length; i++) if (value <= this.bounds[i]!) s.buckets[i]!++;
    s.sum += value;
    s.count++;
  }

  series(): IterableIterator<HistogramSeries> {
    return this.#series.values();
  }
}
