/**
 * Every source kind the exporter knows. Adding one is a descriptor file in
 * `kinds/` and a line here: the config schema, label columns, keystore series
 * and construction all come from this list.
 */
import { CABUNDLE_KIND } from "./kinds/cabundle.ts";
import { FILE_KIND } from "./kinds/file.ts";
import { KUBECONFIG_KIND } from "./kinds/kubeconfig.ts";
import { KUBERNETES_KIND } from "./kinds/kubernetes.ts";
import { TLS_KIND } from "./kinds/tls.ts";
import type { Inherited, LabelColumn, SourceDeps, SourceKind } from "./kind.ts";
import type { Source } from "./source.ts";
import type { Format } from "../format.ts";

/** In upstream's label column order. */
export const SOURCE_KINDS = [
  FILE_KIND,
  KUBECONFIG_KIND,
  KUBERNETES_KIND,
  CABUNDLE_KIND,
  TLS_KIND,
] as const;

type AnyKind = typeof SOURCE_KINDS[number];
type SpecOf<D> = D extends SourceKind<infer K, infer _Raw, infer R>
  ? { readonly [P in keyof ({ kind: K } & R)]: ({ kind: K } & R)[P] }
  : never;

/** A source as the config layer hands it over: its kind, its keys, inherited values resolved. */
export type SourceSpec = SpecOf<AnyKind>;
export type SourceKindName = AnyKind["kind"];

// deno-lint-ignore no-explicit-any
type Erased = SourceKind<string, any, any>;

/** The descriptor of `kind`. */
export function kindOf(kind: string): Erased | undefined {
  return (SOURCE_KINDS as readonly Erased[]).find((k) => k.kind === kind);
}

/** Every location column, in order: every series carries them all. */
export function locationColumns(): LabelColumn[] {
  return SOURCE_KINDS.flatMap((k) => k.columns);
}

/** Every `source_kind` value a bundle or error may carry, in kind order. */
export function reportedKinds(): string[] {
  return SOURCE_KINDS.flatMap((k) => k.reports);
}

/** Resolves one decoded source against the rest of the config. */
export function resolveSource(
  raw: { kind: string; name: string },
  inherited: Inherited,
): SourceSpec {
  const kind = kindOf(raw.kind)!;
  return { kind: raw.kind, ...kind.resolve(raw, inherited) } as SourceSpec;
}

/** The extra label columns (`secret_label_*`, ...) the configured sources fill. */
export function extraLabelNames(sources: readonly SourceSpec[]): string[] {
  const names = new Set<string>();
  for (const s of sources) for (const n of kindOf(s.kind)!.extraLabelNames?.(s) ?? []) names.add(n);
  return [...names];
}

/** Names of the sources that read each keystore format (their passphrase-failure series exist). */
export function keystoreSources(
  sources: readonly SourceSpec[],
): { pkcs12: Set<string>; jks: Set<string> } {
  const out = { pkcs12: new Set<string>(), jks: new Set<string>() };
  for (const s of sources) {
    const formats: readonly Format[] = kindOf(s.kind)!.formats?.(s) ?? [];
    if (formats.includes("pkcs12")) out.pkcs12.add(s.name);
    if (formats.includes("jks")) out.jks.add(s.name);
  }
  return out;
}

/** One source as the startup log line shows it: kind, name and what it reads. */
export function describeSource(spec: SourceSpec): Record<string, unknown> {
  return { kind: spec.kind, name: spec.name, ...kindOf(spec.kind)!.describe(spec) };
}

/** Builds the source of `spec`. */
export function createSource(spec: SourceSpec, deps: SourceDeps): Promise<Source> {
  return kindOf(spec.kind)!.create(spec, deps);
}
