/**
 * Strict, position-aware reading of a parsed YAML document for config
 * loaders: every failure is a {@link ConfigError} naming file, line, column and
 * key path, and unknown keys or enum values come with a "did you mean".
 */
import { isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";
import { ConfigError } from "../errors.ts";

export interface Entry {
  key: Node;
  value: Node | null;
}

/** Walks YAML nodes with their source positions, throwing located ConfigErrors. */
export class Decoder {
  constructor(readonly file: string, readonly lines: LineCounter, readonly text: string) {}

  fail(message: string, node: Node | null | undefined, path: string, cause?: unknown): never {
    const offset = node?.range?.[0];
    const pos = offset === undefined ? undefined : this.lines.linePos(offset);
    const where = { file: this.file, path, line: pos?.line, column: pos?.col };
    const error = new ConfigError(message, where);
    // ConfigError takes no options bag; keep the underlying I/O or parse error for logs.
    if (cause !== undefined) error.cause = cause;
    throw error;
  }

  /** Map entries in source order; null (an empty `key:`) counts as empty, like go-yaml. */
  entries(node: Node | null | undefined, path: string): Map<string, Entry> {
    const out = new Map<string, Entry>();
    if (node == null || (isScalar(node) && node.value === null)) return out;
    if (!isMap(node)) this.fail(`Expected a map, got ${kind(node)}`, node, path);
    for (const pair of node.items) {
      const key = pair.key as Node;
      // go-yaml decodes `1234:` into a map[string] as "1234", so a numeric user name is fine.
      const name = isScalar(key) ? this.str(key, path) : undefined;
      if (name === undefined) this.fail("Map keys must be strings", key, path);
      out.set(name, { key, value: (pair.value as Node | null) ?? null });
    }
    return out;
  }

  /** Like {@link entries} for a fixed schema: unknown keys are errors. */
  map(
    node: Node | null | undefined,
    path: string,
    allowed: readonly string[],
  ): Map<string, Node | null> {
    const out = new Map<string, Node | null>();
    for (const [name, { key, value }] of this.entries(node, path)) {
      if (!allowed.includes(name)) {
        this.fail(
          `Unknown key "${name}"${this.suggest(name, allowed)}`,
          key,
          path ? `${path}.${name}` : name,
        );
      }
      out.set(name, value);
    }
    return out;
  }

  /** Scalars are taken as written, as go-yaml does for string fields (`cert_file: 123`). */
  str(node: Node | null | undefined, path: string): string | undefined {
    if (node == null || (isScalar(node) && node.value === null)) return undefined;
    if (!isScalar(node)) this.fail(`Expected a string, got ${kind(node)}`, node, path);
    if (typeof node.value === "string") return node.value;
    const [start, end] = node.range ?? [0, 0];
    return this.text.slice(start, end);
  }

  bool(node: Node | null | undefined, path: string): boolean | undefined {
    if (node == null || (isScalar(node) && node.value === null)) return undefined;
    if (!isScalar(node) || typeof node.value !== "boolean") {
      this.fail(`Expected a boolean, got ${kind(node)}`, node, path);
    }
    return node.value;
  }

  strList(node: Node | null | undefined, path: string, allowed?: readonly string[]): string[] {
    if (node == null || (isScalar(node) && node.value === null)) return [];
    if (!isSeq(node)) this.fail(`Expected a list, got ${kind(node)}`, node, path);
    return node.items.map((item, i) => {
      const v = this.str(item as Node, `${path}[${i}]`) ?? "";
      return allowed ? this.oneOf(v, allowed, item as Node, `${path}[${i}]`) : v;
    });
  }

  oneOf<T extends string>(
    value: string,
    allowed: readonly T[],
    node: Node | null | undefined,
    path: string,
  ): T {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    const list = allowed.length > 6 ? "" : `: expected one of ${allowed.join(", ")}`;
    return this.fail(`Invalid value "${value}"${list}${this.suggest(value, allowed)}`, node, path);
  }

  suggest(word: string, candidates: readonly string[]): string {
    let best: string | undefined;
    let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
    for (const c of candidates) {
      const dist = levenshtein(word.toLowerCase(), c.toLowerCase());
      if (dist < bestDistance) [best, bestDistance] = [c, dist];
    }
    return best === undefined ? "" : ` (did you mean "${best}"?)`;
  }
}

function kind(node: Node): string {
  if (isMap(node)) return "a map";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) {
    return node.value === null ? "null" : `${typeof node.value} "${String(node.value)}"`;
  }
  return "an alias";
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}
