/**
 * A small declarative schema language for YAML documents, typed: the type of a
 * decoded value is inferred from its schema ({@link Infer}), so a config type
 * is written once, as its schema, with its defaults beside each key.
 */
import { isAbsolute, join } from "node:path";
import { isMap, isScalar, type Node } from "yaml";
import { type Decoder, describe, hint } from "./decode.ts";
import { parseDuration } from "./duration.ts";

/** What a decoder of one value needs besides the node. */
export interface Context {
  readonly d: Decoder;
  /** Relative paths resolve against this directory (the file's own). */
  readonly baseDir: string;
  /** A key the next object decoded accepts without a field: the tag {@link tagged} read. */
  readonly tag?: string;
  /** Keys other variants of the same {@link tagged} value know, with the variants' names. */
  readonly foreign?: ReadonlyMap<string, readonly string[]>;
}

/** Decodes one value of type `T` (`undefined` in T: the value may be absent). */
export interface Spec<T> {
  /** Decodes a node that is present; after recording an error the result is unused. */
  decode(node: Node, ctx: Context, path: string): T;
  /** The value of an absent key (or an explicit null). */
  absent(ctx: Context, path: string): T;
  /** Recognised keys, for objects: what "did you mean" picks from. */
  readonly keys?: readonly string[];
  /** An explicit null is decoded (and refused) instead of taken as absent: text fields. */
  readonly decodesNull?: boolean;
}

/** The type a spec decodes to. */
export type Infer<S> = S extends Spec<infer T> ? T : never;

type Fields = Record<string, Spec<unknown>>;
type Flat<T> = { [K in keyof T]: T[K] } & unknown;
/** Keys whose value may be absent become optional properties (`exactOptionalPropertyTypes`). */
export type Shape<F extends Fields, R extends keyof F = never> = Flat<
  & {
    readonly [K in keyof F as K extends R ? K : undefined extends Infer<F[K]> ? never : K]: Exclude<
      Infer<F[K]>,
      undefined
    >;
  }
  & {
    readonly [K in keyof F as K extends R ? never : undefined extends Infer<F[K]> ? K : never]?:
      Exclude<Infer<F[K]>, undefined>;
  }
>;

function isNull(node: Node): boolean {
  return isScalar(node) && node.value === null;
}

// ---------------------------------------------------------------------------
// Scalars

interface StringOptions {
  /** Resolve a relative value against the file's directory. */
  readonly path?: boolean;
  /** "" is refused, or means the default when there is one (as upstream's `listen: ""`). */
  readonly nonEmpty?: boolean;
}

/** Text; numbers and booleans are taken as written (`listen: 9793` is "9793"). */
export function str(o: StringOptions & { default: string }): Spec<string>;
export function str(o?: StringOptions): Spec<string | undefined>;
export function str(o: StringOptions & { default?: string } = {}): Spec<string | undefined> {
  return {
    decodesNull: true,
    decode(node, { d, baseDir }, path) {
      if (isNull(node)) return d.fail(`Expected a string, found null`, node, path);
      const v = d.str(node, path);
      if (v === undefined) return undefined;
      if (o.nonEmpty && v === "") {
        return o.default !== undefined ? o.default : d.fail("Must not be empty", node, path);
      }
      return o.path && v !== "" && !isAbsolute(v) ? join(baseDir, v) : v;
    },
    absent: () => o.default,
  };
}

export interface OneOfOptions<T extends string> {
  /** `WARN` is `warn`, as upstream's log level and format. */
  readonly caseInsensitive?: boolean;
  /** An unknown word means this one, with a warning, instead of an error (upstream's log format). */
  readonly fallback?: T;
}

/** One of a closed set of words; "" means the default, as in upstream's config. */
export function oneOf<const T extends string>(
  values: readonly T[],
  dflt: T,
  o?: OneOfOptions<T>,
): Spec<T>;
export function oneOf<const T extends string>(values: readonly T[]): Spec<T | undefined>;
export function oneOf<const T extends string>(
  values: readonly T[],
  dflt?: T,
  o: OneOfOptions<T> = {},
): Spec<T | undefined> {
  return {
    decode(node, { d }, path) {
      const raw = isScalar(node) && !isNull(node) ? d.scalarText(node) : undefined;
      if (raw === undefined) {
        return d.fail(`Expected one of ${values.join(", ")}, found ${describe(node)}`, node, path);
      }
      if (raw === "" && dflt !== undefined) return dflt;
      const v = o.caseInsensitive ? values.find((x) => x.toLowerCase() === raw.toLowerCase()) : raw;
      if (v !== undefined && (values as readonly string[]).includes(v)) return v as T;
      if (o.fallback !== undefined) {
        d.warn(`Unknown value "${raw}" means ${o.fallback}${hint(raw, values)}`, node, path);
        return o.fallback;
      }
      return d.oneOf(raw, values, node, path);
    },
    absent: () => dflt,
  };
}

export function bool(dflt: boolean): Spec<boolean>;
export function bool(): Spec<boolean | undefined>;
export function bool(dflt?: boolean): Spec<boolean | undefined> {
  return {
    decode: (node, { d }, path) => d.bool(node, path),
    absent: () => dflt,
  };
}

interface NumberOptions {
  readonly min?: number;
  readonly max?: number;
  /** Values outside min..max are brought inside instead of refused (upstream clamps some). */
  readonly clamp?: boolean;
  /**
   * Values outside min..max mean the default, with a warning, instead of an error: for
   * keys upstream does not validate (its code then falls back to the default).
   */
  readonly outOfRangeIsDefault?: boolean;
  readonly integer?: boolean;
}

export function num(o: NumberOptions & { default: number }): Spec<number>;
export function num(o?: NumberOptions): Spec<number | undefined>;
export function num(o: NumberOptions & { default?: number } = {}): Spec<number | undefined> {
  const what = o.integer ? "an integer" : "a number";
  return {
    decode(node, { d }, path) {
      const v = isScalar(node) ? node.value : undefined;
      if (typeof v !== "number" || Number.isNaN(v) || (o.integer && !Number.isInteger(v))) {
        return d.fail(`Expected ${what}, found ${describe(node)}`, node, path);
      }
      const low = o.min !== undefined && v < o.min;
      const high = o.max !== undefined && v > o.max;
      if (!low && !high) return v;
      if (o.clamp) return low ? o.min : o.max;
      const range = `${o.min ?? "-∞"}..${o.max ?? "∞"}`;
      if (o.outOfRangeIsDefault && o.default !== undefined) {
        d.warn(`${v} is outside ${range}: the default ${o.default} is used`, node, path);
        return o.default;
      }
      return low
        ? d.fail(`Must be >= ${o.min}, found ${v}`, node, path)
        : d.fail(`Must be <= ${o.max}, found ${v}`, node, path);
    },
    absent: () => o.default,
  };
}

export function int(o: Omit<NumberOptions, "integer"> & { default: number }): Spec<number>;
export function int(o?: Omit<NumberOptions, "integer">): Spec<number | undefined>;
export function int(
  o: Omit<NumberOptions, "integer"> & { default?: number } = {},
): Spec<number | undefined> {
  return num({ ...o, integer: true });
}

/**
 * Longest duration a timer can wait here (2^31-1 ms, ~24.8 days); longer ones are
 * clamped with a warning: a longer setTimeout fires at once and would spin.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/**
 * A Go duration (`30s`, `1h30m`) in milliseconds. As upstream, zero or a negative
 * value means the default (with a warning here); below `min`, `min` is used.
 */
export function duration(dflt: number, min?: number): Spec<number>;
export function duration(dflt?: undefined, min?: number): Spec<number | undefined>;
export function duration(dflt?: number, min?: number): Spec<number | undefined> {
  return {
    decode(node, { d }, path) {
      const v = isScalar(node) ? node.value : undefined;
      const text = typeof v === "string" ? v.trim() : undefined;
      const negative = text?.startsWith("-") ?? false;
      const ms = text !== undefined
        ? parseDuration(negative ? text.slice(1) : text)
        : v === 0
        ? 0
        : undefined;
      if (ms === undefined) {
        return d.fail(
          `Expected a duration such as "30s", "5m" or "1h30m", found ${describe(node)}`,
          node,
          path,
        );
      }
      if (ms === 0 || negative) {
        d.warn(
          `${text ?? v} means the default${dflt === undefined ? "" : ` (${dflt} ms)`}`,
          node,
          path,
        );
        return dflt;
      }
      if (min !== undefined && ms < min) {
        d.warn(`${text} is below the minimum of ${min} ms, which is used instead`, node, path);
        return min;
      }
      if (ms > MAX_DURATION_MS) {
        d.warn(
          `${text} is above the longest wait of ${MAX_DURATION_MS} ms, which is used instead`,
          node,
          path,
        );
        return MAX_DURATION_MS;
      }
      return ms;
    },
    absent: () => dflt,
  };
}

// ---------------------------------------------------------------------------
// Containers

/** A list; absent means empty (or `default`). Items are never absent: a null item is decoded. */
export function list<T>(
  of: Spec<T>,
  o: {
    default?: readonly Exclude<T, undefined>[];
    minItems?: number;
    /** `[]` means the default, as upstream's `formats: []`. */
    emptyIsDefault?: boolean;
  } = {},
): Spec<readonly Exclude<T, undefined>[]> {
  return {
    // `paths:` with nothing after it is no path at all, not the default.
    ...(o.minItems ? { decodesNull: true } : {}),
    decode(node, ctx, path) {
      if (isNull(node)) {
        if (!o.minItems) return [...(o.default ?? [])];
        ctx.d.fail(`Expected at least ${o.minItems} item(s)`, node, path);
        return [];
      }
      const items = ctx.d.items(node, path);
      if (items === undefined) return [];
      if (items.length === 0 && o.emptyIsDefault) return [...(o.default ?? [])];
      if (o.minItems && items.length < o.minItems) {
        ctx.d.fail(`Expected at least ${o.minItems} item(s)`, node, path);
        return [];
      }
      return items.map((item, i) => of.decode(item, ctx, `${path}[${i}]`) as Exclude<T, undefined>);
    },
    absent: () => [...(o.default ?? [])],
  };
}

/** A free-form map of strings (HTTP headers, labels). */
export function stringMap(): Spec<Readonly<Record<string, string>>> {
  return {
    decode(node, { d }, path) {
      const out: Record<string, string> = {};
      for (const [key, { value }] of d.entries(node, path)) {
        const at = path ? `${path}.${key}` : key;
        if (value && isScalar(value) && typeof value.value === "string") out[key] = value.value;
        else d.fail("Expected a string value", value, at);
      }
      return out;
    },
    absent: () => ({}),
  };
}

export interface ObjectOptions<R> {
  /** Keys that must be present. */
  readonly required?: readonly R[];
  /** Keys upstream accepts but this exporter does not act on: accepted with a warning saying why. */
  readonly ignored?: Readonly<Record<string, string>>;
}

/** A mapping with known keys; an absent one decodes to its defaults. */
export function obj<F extends Fields, R extends keyof F & string = never>(
  fields: F,
  o: ObjectOptions<R> = {},
): Spec<Shape<F, R>> {
  const keys = Object.keys(fields);
  const spec: Spec<Shape<F, R>> = {
    keys,
    decode(node, ctx, path) {
      const { d, tag } = ctx;
      // The tag and the other variants' keys belong to this level only.
      const inner: Context = tag === undefined && !ctx.foreign ? ctx : { d, baseDir: ctx.baseDir };
      const out: Record<string, unknown> = {};
      const seen = new Set<string>();
      if (!isMap(node) && !isNull(node)) {
        d.fail(`Expected a mapping, found ${describe(node)}`, node, path);
        return out as Shape<F, R>;
      }
      for (const [key, { key: keyNode, value }] of d.entries(node, path)) {
        const at = path ? `${path}.${key}` : key;
        if (key === tag) continue;
        const field = fields[key];
        if (!field) {
          const others = ctx.foreign?.get(key);
          if (o.ignored && key in o.ignored) {
            d.warn(`accepted but ignored: ${o.ignored[key]}`, keyNode, at);
          } else if (others && d.lenient) {
            d.warn(`ignored: "${key}" applies to ${others.join(" and ")} sources`, keyNode, at);
          } else if (d.lenient) {
            // Upstream ignores unknown keys; a warning here, so a typo is still seen.
            d.warn(`Unknown key "${key}" is ignored${hint(key, keys)}`, keyNode, at);
          } else d.fail(`Unknown key "${key}"${hint(key, keys)}`, keyNode, at);
          continue;
        }
        seen.add(key);
        const v = value === null || (isNull(value) && !field.decodesNull)
          ? field.absent(inner, at)
          : field.decode(value, inner, at);
        if (v !== undefined) out[key] = v;
      }
      for (const key of keys) {
        if (seen.has(key)) continue;
        const at = path ? `${path}.${key}` : key;
        if ((o.required as readonly string[] | undefined)?.includes(key)) {
          d.fail(`Missing required key "${key}"`, node, at);
          continue;
        }
        const v = fields[key]!.absent(inner, at);
        if (v !== undefined) out[key] = v;
      }
      return out as Shape<F, R>;
    },
    absent(ctx, path) {
      // An absent object is its defaults: decode an empty mapping (required keys then fail).
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        if ((o.required as readonly string[] | undefined)?.includes(key)) continue;
        const v = fields[key]!.absent(ctx, path ? `${path}.${key}` : key);
        if (v !== undefined) out[key] = v;
      }
      return out as Shape<F, R>;
    },
  };
  return spec;
}

/** An object that stays undefined when absent from the file (instead of its defaults). */
export function optional<T>(spec: Spec<T>): Spec<T | undefined> {
  return { ...spec, decode: spec.decode.bind(spec), absent: () => undefined };
}

/** The decoded value of a tagged mapping: its tag beside the variant's fields. */
type Tagged<Tag extends string, V extends Record<string, Spec<object>>> = {
  [K in keyof V & string]: Flat<{ readonly [T in Tag]: K } & Infer<V[K]>>;
}[keyof V & string];

/** A mapping whose `tag` key (e.g. `kind`) picks the schema of the rest. */
export function tagged<const Tag extends string, V extends Record<string, Spec<object>>>(
  tag: Tag,
  variants: V,
): Spec<Tagged<Tag, V>> {
  const names = Object.keys(variants);
  /** Per variant: the keys only other variants know, and which ones. */
  const foreign = new Map<string, Map<string, string[]>>();
  for (const name of names) {
    const own = new Set(variants[name]!.keys ?? []);
    const map = new Map<string, string[]>();
    for (const other of names) {
      if (other === name) continue;
      for (const key of variants[other]!.keys ?? []) {
        if (!own.has(key)) map.set(key, [...(map.get(key) ?? []), other]);
      }
    }
    foreign.set(name, map);
  }
  return {
    decode(node, ctx, path) {
      const { d } = ctx;
      const at = `${path}.${tag}`;
      if (!isMap(node)) {
        return d.fail(`Expected a mapping, found ${describe(node)}`, node, path) as never;
      }
      // The tag's pair read directly: the variant reads (and reports on) the other keys.
      const tagPair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === tag);
      const tagNode = d.deref(tagPair?.value as Node | null | undefined) ?? undefined;
      const name = tagNode && isScalar(tagNode) && typeof tagNode.value === "string"
        ? tagNode.value
        : undefined;
      if (name === undefined) {
        return d.fail(
          `Missing required key "${tag}" (one of ${names.join(", ")})`,
          node,
          at,
        ) as never;
      }
      const variant = variants[name];
      if (!variant) {
        return d.fail(
          `Unknown ${tag} "${name}"; expected one of ${names.join(", ")}${hint(name, names)}`,
          tagNode,
          at,
        ) as never;
      }
      return {
        [tag]: name,
        ...variant.decode(node, { ...ctx, tag, foreign: foreign.get(name)! }, path),
      } as Tagged<Tag, V>;
    },
    absent: () => undefined as never,
  };
}

/** A spec whose decoded value is checked or transformed once decoded (cross-field rules). */
export function refine<T, U>(
  spec: Spec<T>,
  check: (value: T, ctx: Context, path: string, node: Node | undefined) => U,
): Spec<U> {
  return {
    ...(spec.keys ? { keys: spec.keys } : {}),
    ...(spec.decodesNull ? { decodesNull: true } : {}),
    decode: (node, ctx, path) => {
      const before = ctx.d.errors.length;
      const value = spec.decode(node, ctx, path);
      // A value that failed to decode may lack fields the check reads (fuzz/config_fuzz.ts
      // found TypeErrors there). The document is refused anyway: its errors are reported.
      if (ctx.d.errors.length > before) return value as unknown as U;
      return check(value, ctx, path, node);
    },
    absent: (ctx, path) => check(spec.absent(ctx, path), ctx, path, undefined),
  };
}
