/**
 * What a source kind is, in one place: the schema of its config keys (with
 * their defaults), how it inherits from the rest of the config, the label
 * columns it fills, the `source_kind` values it reports and how it is built.
 * `kinds.ts` lists them; nothing else in the exporter names a kind.
 */
import type { Location } from "../bundle.ts";
import type { CacheSettings } from "../config/cache.ts";
import type { Spec } from "../config/spec.ts";
import type { Format } from "../format.ts";
import type { Logger } from "../log.ts";
import type { CertificateCache } from "../parse/cert_cache.ts";
import type { DecodeLimits } from "../parse/limits.ts";
import type { Sink } from "../sink.ts";
import type { Source } from "./source.ts";

/** One location label column: its name and where its value comes from. */
export interface LabelColumn {
  readonly name: string;
  readonly value: (location: Location) => string | undefined;
  /** A path, shortened by `metrics.trimPathComponents`. */
  readonly path?: boolean;
}

/** What a source kind may inherit from the rest of the config. */
export interface Inherited {
  readonly cache: CacheSettings;
}

/** What every source is built with besides its own config. */
export interface SourceDeps {
  readonly cache: CertificateCache;
  /** Bounds on the work one input may cost. */
  readonly limits: DecodeLimits;
  readonly sink: Sink;
  readonly logger: Logger;
}

export interface SourceKind<K extends string, Raw, Resolved> {
  /** The `kind:` value in the config file. */
  readonly kind: K;
  /** The keys of one source of this kind (besides `kind`), with their defaults. */
  readonly schema: Spec<Raw>;
  /** The decoded keys with inherited values filled in: what the source is built from. */
  resolve(raw: Raw, inherited: Inherited): Resolved;
  /** The location columns this kind fills, in upstream's label order. */
  readonly columns: readonly LabelColumn[];
  /** `source_kind` values its series carry. */
  readonly reports: readonly string[];
  /** Extra label columns (`secret_label_*`) a source of this kind fills. */
  extraLabelNames?(spec: Resolved): readonly string[];
  /** What it reads, for the startup log line: paths, targets, resources. */
  describe(spec: Resolved): Readonly<Record<string, unknown>>;
  /** Keystore formats it reads (their passphrase-failure series exist for it). */
  formats?(spec: Resolved): readonly Format[];
  /** Builds the source; heavy modules are imported here, only when a source of the kind exists. */
  create(spec: Resolved, deps: SourceDeps): Promise<Source>;
}

/** Declares a kind, letting its types be inferred from the schema and `resolve`. */
export function defineKind<K extends string, Raw, Resolved>(
  kind: SourceKind<K, Raw, Resolved>,
): SourceKind<K, Raw, Resolved> {
  return kind;
}
