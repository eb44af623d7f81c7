/**
 * The config file's schema: every key, its type and its default, in one place.
 * Defaults follow upstream v4 so shared config files behave alike. A source's
 * keys live with its kind (`src/sources/kinds/`); inherited values are filled
 * in by `load.ts`.
 */
import { DN_FIELDS } from "../bundle.ts";
import { SOURCE_KINDS, type SourceSpec } from "../sources/kinds.ts";
import { CACHE_SCHEMA } from "./cache.ts";
import { bool, type Infer, int, list, obj, oneOf, type Spec, str, tagged } from "./spec.ts";

const sourceVariants = Object.fromEntries(SOURCE_KINDS.map((k) => [k.kind, k.schema])) as Record<
  string,
  Spec<object>
>;

export const CONFIG_SCHEMA = obj({
  server: obj({
    listen: str({ default: ":9793", nonEmpty: true }),
    webConfigFile: str({ default: "", path: true }),
    probeListen: str({ default: "" }),
  }, {
    ignored: {
      systemdSocket: "socket activation is not supported; use server.listen",
      readTimeout: "Deno's HTTP server manages its own timeouts",
      writeTimeout: "Deno's HTTP server manages its own timeouts",
    },
  }),
  log: obj({
    level: oneOf(["debug", "info", "warn", "error"], "info"),
    format: oneOf(["text", "json"], "text"),
  }, { ignored: { timing: "every log line carries a timestamp" } }),
  web: obj({ enableStats: bool(true) }),
  metrics: obj({
    exposeRelative: bool(false),
    exposePerCertError: bool(false),
    exposeExpired: bool(true),
    exposeNotBefore: bool(false),
    exposeDiagnostics: bool(false),
    exposeSubjectFields: list(oneOf(DN_FIELDS), { default: DN_FIELDS }),
    exposeIssuerFields: list(oneOf(DN_FIELDS), { default: DN_FIELDS }),
    trimPathComponents: int({ default: 0, min: 0 }),
    collisionDiscriminator: oneOf(["auto", "always", "never"], "auto"),
    collisionDiscriminatorLength: int({ default: 8, min: 4, max: 64 }),
  }),
  cache: CACHE_SCHEMA,
  // Bounds on the work one input may cost (a file, an object value): past them the input is one
  // labelled error, never a stalled event loop. Far above anything real: the largest public
  // trust bundles are ~220 KiB and ~150 certificates, keystore tools use 2,048-10,000 KDF
  // iterations (~2.6 µs each here), and real PKCS#12 files nest 10 levels deep.
  limits: obj({
    maxInputBytes: int({ default: 8 * 1024 * 1024, min: 1 }),
    maxCertificates: int({ default: 5_000, min: 1 }),
    maxErrorItems: int({ default: 100, min: 1 }),
    maxPkcs12Iterations: int({ default: 100_000, min: 1 }),
    maxNestingDepth: int({ default: 32, min: 1 }),
  }),
  sources: list(tagged("kind", sourceVariants)),
}, {
  ignored: { diagnostics: "pprof is a Go facility; use --v8-flags and heap snapshots instead" },
});

type Decoded = Infer<typeof CONFIG_SCHEMA>;

/** The whole configuration, resolved: every default and inherited value filled in, frozen. */
export type Config = Omit<Decoded, "sources"> & { readonly sources: readonly SourceSpec[] };
export type MetricsSettings = Config["metrics"];
export type { SourceSpec };
