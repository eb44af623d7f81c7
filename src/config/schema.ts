/**
 * The config file's schema: every key, its type and its default, in one place.
 * Defaults follow upstream v4 so shared config files behave alike. A source's
 * keys live with its kind (`src/sources/kinds/`); inherited values are filled
 * in by `load.ts`.
 */
import { DN_FIELDS, type DnField } from "../bundle.ts";
import { SOURCE_KINDS, type SourceSpec } from "../sources/kinds.ts";
import { CACHE_SCHEMA } from "./cache.ts";
import { parseListen } from "./listen.ts";
import {
  bool,
  duration,
  type Infer,
  int,
  list,
  obj,
  oneOf,
  refine,
  type Spec,
  str,
  tagged,
} from "./spec.ts";

/** A listen address, checked as startup would bind it: a bad one fails `--config.check`. */
function listen(dflt: string) {
  return refine(str({ default: dflt, nonEmpty: dflt !== "" }), (v, { d }, path, node) => {
    if (v === "") return v;
    const parsed = parseListen(v);
    if (typeof parsed === "string") d.fail(parsed, node, path);
    return v;
  });
}

/**
 * `exposeSubjectFields` / `exposeIssuerFields` as upstream reads them: case-insensitive,
 * unknown names dropped (the chart's `metricLabelsFilterList` puts label names there), an
 * absent or empty list meaning all six, a list naming none meaning no DN label at all.
 */
function dnFields() {
  return refine(list(str()), (names, { d }, path, node): readonly DnField[] => {
    if (names.length === 0) return DN_FIELDS;
    const wanted = new Set(names.map((n) => n.trim().toUpperCase()));
    const unknown = names.filter((n) =>
      !(DN_FIELDS as readonly string[]).includes(n.trim().toUpperCase())
    );
    const kept = DN_FIELDS.filter((f) => wanted.has(f));
    if (unknown.length) {
      d.warn(
        `Not distinguished-name fields (${DN_FIELDS.join(", ")}), ignored as upstream does: ` +
          `${unknown.join(", ")}${kept.length === 0 ? "; no DN label is exposed" : ""}`,
        node,
        path,
      );
    }
    return kept;
  });
}

const sourceVariants = Object.fromEntries(SOURCE_KINDS.map((k) => [k.kind, k.schema])) as Record<
  string,
  Spec<object>
>;

export const CONFIG_SCHEMA = obj({
  server: obj({
    listen: listen(":9793"),
    webConfigFile: str({ default: "", path: true }),
    probeListen: listen(""),
    // Go's http.Server ReadTimeout (a request's headers, the TLS handshake included; also
    // the idle keep-alive wait) and WriteTimeout (headers to end of response), as upstream.
    readTimeout: duration(10_000),
    writeTimeout: duration(30_000),
  }, {
    ignored: { systemdSocket: "socket activation is not supported; use server.listen" },
  }),
  log: obj({
    level: oneOf(["debug", "info", "warn", "error"], "info", { caseInsensitive: true }),
    format: oneOf(["text", "json"], "text", { caseInsensitive: true, fallback: "text" }),
  }, { ignored: { timing: "every log line carries a timestamp" } }),
  // enableLifecycle: POST /-/reload (Prometheus' --web.enable-lifecycle).
  web: obj({ enableStats: bool(true), enableLifecycle: bool(false) }),
  metrics: obj({
    exposeRelative: bool(false),
    exposePerCertError: bool(false),
    exposeExpired: bool(true),
    exposeNotBefore: bool(false),
    exposeDiagnostics: bool(false),
    exposeSubjectFields: dnFields(),
    exposeIssuerFields: dnFields(),
    trimPathComponents: int({ default: 0, min: 0, outOfRangeIsDefault: true }),
    collisionDiscriminator: oneOf(["auto", "always", "never"], "auto"),
    collisionDiscriminatorLength: int({ default: 8, min: 1, max: 64, outOfRangeIsDefault: true }),
    // Added (not upstream): certificate facts and chains, computed when a bundle is stored.
    exposeInfo: bool(false),
    exposeChain: bool(false),
    chainRoots: list(str({ path: true, nonEmpty: true })),
    chainSystemRoots: bool(true),
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
