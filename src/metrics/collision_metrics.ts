import type { Collisions } from "./cert_metrics.ts";
import { escapeLabelValue } from "./labels.ts";

/**
 * `x509_cert_collision_total` and `x509_cert_collision_dropped_total{source_kind}`, counted
 * as upstream does: at every scrape, each series beyond the first of a colliding group adds
 * one, so `increase()` stays above 0 for as long as a collision lasts. Both exist at 0 for
 * every kind from the start, so the chart's CertificateCollision alert can evaluate.
 */
export class CollisionCounters {
  readonly #total: Map<string, number>;
  readonly #dropped: Map<string, number>;

  constructor(kinds: readonly string[]) {
    this.#total = new Map(kinds.map((k) => [k, 0]));
    this.#dropped = new Map(kinds.map((k) => [k, 0]));
  }

  /** Counts the collisions one scrape served. */
  scraped(c: Collisions): void {
    for (const [kind, n] of c.extra) this.#total.set(kind, (this.#total.get(kind) ?? 0) + n);
    for (const [kind, n] of c.dropped) this.#dropped.set(kind, (this.#dropped.get(kind) ?? 0) + n);
  }

  render(): string {
    let out = "# HELP x509_cert_collision_total Certificate series that shared a label set with " +
      "another, counted at every scrape while it lasts\n# TYPE x509_cert_collision_total counter\n";
    for (const [kind, n] of this.#total) {
      out += `x509_cert_collision_total{source_kind="${escapeLabelValue(kind)}"} ${n}\n`;
    }
    out += "# HELP x509_cert_collision_dropped_total Colliding certificate series left out " +
      "(collisionDiscriminator: never), counted at every scrape while it lasts\n" +
      "# TYPE x509_cert_collision_dropped_total counter\n";
    for (const [kind, n] of this.#dropped) {
      out += `x509_cert_collision_dropped_total{source_kind="${escapeLabelValue(kind)}"} ${n}\n`;
    }
    return out;
  }
}
