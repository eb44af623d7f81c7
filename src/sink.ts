import type { Bundle, SourceId } from "./bundle.ts";
import type { Reason } from "./errors.ts";

/**
 * What a source writes to. Sources only ever push: they never read metrics
 * or other sources' bundles, which keeps data flowing one way
 * (source -> store -> metrics).
 */
export interface Sink {
  /** Declares a source so its health series exist (at 0) before its first sync. */
  register(source: SourceId): void;
  /** Stores or replaces the bundle `bundle.ref` of `source`. */
  put(source: SourceId, bundle: Bundle): void;
  /** Drops one bundle; its series disappear at the next scrape. */
  delete(source: SourceId, ref: string): void;
  /** Drops every bundle of `source` whose ref is not in `keep` (after a full resync). */
  retain(source: SourceId, keep: ReadonlySet<string>): void;
  /** Sets `x509_source_up`. */
  setUp(source: SourceId, up: boolean): void;
  /** Records that the source finished its first sync, successful or not (gates `/readyz`). */
  markSynced(source: SourceId): void;
  /** Adds to `x509_source_errors_total{reason}` for errors that are not tied to a bundle item. */
  countError(source: SourceId, reason: Reason, n?: number): void;
}
