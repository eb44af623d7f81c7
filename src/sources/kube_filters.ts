/** Name globs and label rules of one kind of object, as configured. */
export interface ObjectFilters {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  readonly includeLabels: readonly string[];
  readonly excludeLabels: readonly string[];
}

import { isGlob, segmentRegExp } from "./glob.ts";

/** A label rule from the config: `key` (present) or `key=value`. */
interface LabelRule {
  readonly key: string;
  readonly value?: string;
}

function parseRule(text: string): LabelRule {
  const i = text.indexOf("=");
  return i < 0
    ? { key: text.trim() }
    : { key: text.slice(0, i).trim(), value: text.slice(i + 1).trim() };
}

function matches(rule: LabelRule, labels: Readonly<Record<string, string>> | undefined): boolean {
  const v = labels?.[rule.key];
  return v !== undefined && (rule.value === undefined || v === rule.value);
}

/**
 * Name globs and label rules of one kind of object (namespaces, Secrets,
 * ConfigMaps). Label rules also become a server-side `labelSelector`, so the
 * API server filters before anything crosses the network; the client-side
 * check stays as the single source of truth.
 */
export class NameLabelFilter {
  readonly #include: RegExp[];
  readonly #exclude: RegExp[];
  readonly #includeLabels: LabelRule[];
  readonly #excludeLabels: LabelRule[];
  /** The include names, when every one is literal (namespace-scoped requests are possible). */
  readonly literalNames: string[] | undefined;

  constructor(f: Partial<ObjectFilters> = {}) {
    this.#include = (f.include ?? []).map(segmentRegExp);
    this.#exclude = (f.exclude ?? []).map(segmentRegExp);
    this.#includeLabels = (f.includeLabels ?? []).map(parseRule);
    this.#excludeLabels = (f.excludeLabels ?? []).map(parseRule);
    const include = f.include ?? [];
    this.literalNames = include.length > 0 && !include.some(isGlob) ? [...include] : undefined;
  }

  get hasLabelRules(): boolean {
    return this.#includeLabels.length > 0 || this.#excludeLabels.length > 0;
  }

  nameAllowed(name: string): boolean {
    if (this.#include.length > 0 && !this.#include.some((re) => re.test(name))) return false;
    return !this.#exclude.some((re) => re.test(name));
  }

  labelsAllowed(labels: Readonly<Record<string, string>> | undefined): boolean {
    if (!this.#includeLabels.every((r) => matches(r, labels))) return false;
    return !this.#excludeLabels.some((r) => matches(r, labels));
  }

  allowed(name: string, labels: Readonly<Record<string, string>> | undefined): boolean {
    return this.nameAllowed(name) && this.labelsAllowed(labels);
  }

  /** The label rules as a Kubernetes labelSelector (AND of every rule). */
  labelSelector(): string | undefined {
    const parts = [
      ...this.#includeLabels.map((r) => (r.value === undefined ? r.key : `${r.key}=${r.value}`)),
      ...this.#excludeLabels.map((
        r,
      ) => (r.value === undefined ? `!${r.key}` : `${r.key}!=${r.value}`)),
    ];
    return parts.length ? parts.join(",") : undefined;
  }
}

/** Which data keys of an object a rule selects: `key` means `^key$`, else any of `keyPatterns`. */
export function keyMatcher(
  rule: { key?: string | undefined; keyPatterns?: readonly string[] },
): (k: string) => boolean {
  if (rule.key !== undefined) {
    const key = rule.key;
    return (k) => k === key;
  }
  const res = (rule.keyPatterns ?? []).map((p) => new RegExp(p));
  return (k) => res.some((re) => re.test(k));
}
