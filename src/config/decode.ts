import { isAbsolute, join } from "node:path";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { ConfigError } from "../errors.ts";
import { parseDuration } from "./duration.ts";
import type { ObjectSpec, Spec } from "./spec.ts";

/** Every problem found in one file, so a user fixes them in one go. */
export class ConfigErrors extends Error {
  readonly errors: readonly ConfigError[];
  constructor(errors: readonly ConfigError[]) {
    super(errors.map((e) => e.message).join("\n"));
    this.name = "ConfigErrors";
    this.errors = errors;
  }
}

interface Context {
  readonly file: string;
  readonly baseDir: string;
  readonly lines: LineCounter;
  readonly errors: ConfigError[];
  readonly warnings: string[];
}

/** Decodes YAML text against `spec`; throws ConfigErrors listing every problem. */
export function decodeYaml(
  text: string,
  spec: ObjectSpec,
  where: { file: string; baseDir: string },
): { value: Record<string, unknown>; warnings: string[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const ctx: Context = { ...where, lines, errors: [], warnings: [] };
  for (const e of doc.errors) {
    const pos = lines.linePos(e.pos[0]);
    ctx.errors.push(
      new ConfigError(e.message.split("\n")[0]!, {
        file: where.file,
        path: "",
        line: pos?.line,
        column: pos?.col,
      }),
    );
  }
  if (ctx.errors.length) throw new ConfigErrors(ctx.errors);
  const root = doc.contents as Node | null;
  const value = root === null
    ? decodeObject(undefined, spec, ctx, "")
    : decode(root, spec, ctx, "");
  if (ctx.errors.length) throw new ConfigErrors(ctx.errors);
  return { value: value as Record<string, unknown>, warnings: ctx.warnings };
}

function fail(ctx: Context, node: Node | undefined, path: string, message: string): undefined {
  const pos = node?.range ? ctx.lines.linePos(node.range[0]) : undefined;
  ctx.errors.push(
    new ConfigError(message, { file: ctx.file, path, line: pos?.line, column: pos?.col }),
  );
  return undefined;
}

function describeNode(node: Node): string {
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) {
    return node.value === null ? "null" : `${typeof node.value} ${JSON.stringify(node.value)}`;
  }
  return "an unsupported node";
}

/** Fills defaults for a value that is absent from the file. */
function defaultOf(spec: Spec, ctx: Context, path: string): unknown {
  switch (spec.t) {
    case "object":
      return spec.optional ? undefined : decodeObject(undefined, spec, ctx, path);
    case "tagged":
      return undefined;
    case "list":
      return spec.default ? [...spec.default] : [];
    default:
      return spec.default;
  }
}

function decode(node: Node, spec: Spec, ctx: Context, path: string): unknown {
  if (isScalar(node) && node.value === null && spec.t !== "string") {
    return defaultOf(spec, ctx, path);
  }
  switch (spec.t) {
    case "object":
      return isMap(node)
        ? decodeObject(node, spec, ctx, path)
        : fail(ctx, node, path, `Expected a mapping, found ${describeNode(node)}`);
    case "tagged":
      return decodeTagged(node, spec, ctx, path);
    case "list": {
      if (!isSeq(node)) {
        return fail(ctx, node, path, `Expected a list, found ${describeNode(node)}`);
      }
      if (spec.minItems && node.items.length < spec.minItems) {
        return fail(ctx, node, path, `Expected at least ${spec.minItems} item(s)`);
      }
      return node.items.map((item, i) => decode(item as Node, spec.of, ctx, `${path}[${i}]`));
    }
    default:
      return decodeScalar(node, spec, ctx, path);
  }
}

function decodeScalar(node: Node, spec: Spec, ctx: Context, path: string): unknown {
  if (!isScalar(node)) {
    return fail(ctx, node, path, `Expected a scalar, found ${describeNode(node)}`);
  }
  const v = node.value;
  switch (spec.t) {
    case "string": {
      if (typeof v !== "string") {
        // Unquoted numbers/booleans where text is expected are almost always intended as text.
        if (typeof v === "number" || typeof v === "boolean") {
          return checkString(String(v), node, spec, ctx, path);
        }
        return fail(ctx, node, path, `Expected a string, found ${describeNode(node)}`);
      }
      return checkString(v, node, spec, ctx, path);
    }
    case "bool":
      return typeof v === "boolean"
        ? v
        : fail(ctx, node, path, `Expected true or false, found ${describeNode(node)}`);
    case "int":
    case "number": {
      if (typeof v !== "number" || (spec.t === "int" && !Number.isInteger(v))) {
        return fail(
          ctx,
          node,
          path,
          `Expected ${spec.t === "int" ? "an integer" : "a number"}, found ${describeNode(node)}`,
        );
      }
      if (spec.min !== undefined && v < spec.min) {
        return fail(ctx, node, path, `Must be >= ${spec.min}, found ${v}`);
      }
      if (spec.t === "int" && spec.max !== undefined && v > spec.max) {
        return fail(ctx, node, path, `Must be <= ${spec.max}, found ${v}`);
      }
      return v;
    }
    case "duration": {
      const ms = typeof v === "string" ? parseDuration(v) : v === 0 ? 0 : undefined;
      if (ms === undefined) {
        return fail(
          ctx,
          node,
          path,
          `Expected a duration such as "30s", "5m" or "1h30m", found ${describeNode(node)}`,
        );
      }
      if (spec.min !== undefined && ms < spec.min) {
        return fail(ctx, node, path, `Duration must be at least ${spec.min} ms`);
      }
      return ms;
    }
  }
  return undefined;
}

function checkString(
  v: string,
  node: Node,
  spec: Extract<Spec, { t: "string" }>,
  ctx: Context,
  path: string,
) {
  if (spec.enum && !spec.enum.includes(v)) {
    return fail(
      ctx,
      node,
      path,
      `Must be one of ${spec.enum.join(", ")}; found "${v}"${hint(v, spec.enum)}`,
    );
  }
  if (spec.nonEmpty && v === "") return fail(ctx, node, path, "Must not be empty");
  if (spec.path && v !== "" && !isAbsolute(v)) return join(ctx.baseDir, v);
  return v;
}

function decodeObject(
  node: Node | undefined,
  spec: ObjectSpec,
  ctx: Context,
  path: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  if (node && isMap(node)) {
    for (const pair of node.items) {
      const keyNode = pair.key as Node;
      const key = isScalar(keyNode) ? String(keyNode.value) : "";
      const at = path ? `${path}.${key}` : key;
      const valueNode = pair.value as Node | null;
      if (spec.anyKeys) {
        if (valueNode && isScalar(valueNode) && typeof valueNode.value === "string") {
          out[key] = valueNode.value;
        } else fail(ctx, valueNode ?? keyNode, at, "Expected a string value");
        continue;
      }
      const field = spec.fields[key];
      if (!field) {
        if (spec.ignored && key in spec.ignored) {
          ctx.warnings.push(`${ctx.file}: ${at}: accepted but ignored: ${spec.ignored[key]}`);
          continue;
        }
        fail(ctx, keyNode, at, `Unknown key "${key}"${hint(key, Object.keys(spec.fields))}`);
        continue;
      }
      seen.add(key);
      out[key] = valueNode === null ? defaultOf(field, ctx, at) : decode(valueNode, field, ctx, at);
    }
  }
  for (const [key, field] of Object.entries(spec.fields)) {
    if (seen.has(key)) continue;
    if (spec.required?.includes(key)) {
      fail(ctx, node, path ? `${path}.${key}` : key, `Missing required key "${key}"`);
      continue;
    }
    const d = defaultOf(field, ctx, path ? `${path}.${key}` : key);
    if (d !== undefined) out[key] = d;
  }
  return out;
}

function decodeTagged(
  node: Node,
  spec: Extract<Spec, { t: "tagged" }>,
  ctx: Context,
  path: string,
): unknown {
  if (!isMap(node)) return fail(ctx, node, path, `Expected a mapping, found ${describeNode(node)}`);
  const tagPair = node.items.find((p) => isScalar(p.key) && p.key.value === spec.tag);
  const tagNode = tagPair?.value as Node | undefined;
  if (!tagNode || !isScalar(tagNode) || typeof tagNode.value !== "string") {
    return fail(
      ctx,
      node,
      `${path}.${spec.tag}`,
      `Missing required key "${spec.tag}" (one of ${Object.keys(spec.variants).join(", ")})`,
    );
  }
  const variant = spec.variants[tagNode.value];
  if (!variant) {
    const kinds = Object.keys(spec.variants);
    return fail(
      ctx,
      tagNode,
      `${path}.${spec.tag}`,
      `Unknown ${spec.tag} "${tagNode.value}"; expected one of ${kinds.join(", ")}${
        hint(tagNode.value, kinds)
      }`,
    );
  }
  return decodeObject(node, variant, ctx, path);
}

/** A "did you mean" suffix when a close candidate exists. */
export function hint(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestScore) [best, bestScore] = [c, d];
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(word.length / 3))
    ? ` (did you mean "${best}"?)`
    : "";
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        prev[j]! + 1,
        cur[j - 1]! + 1,
        prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length]!;
}
