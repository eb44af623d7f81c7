/**
 * The one strict YAML decoder of the exporter: the config file, the web config
 * and the documents made from command-line flags are all read through it. It
 * walks the YAML syntax tree (not plain values) so every problem names the
 * file, line, column and key path at fault, and it collects every problem of a
 * document so a user fixes them in one go.
 */
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  Scalar,
  type YAMLMap,
} from "yaml";
import { ConfigError } from "../errors.ts";

/** Every problem found in one document, and its warnings (a typo's "did you mean" is one). */
export class ConfigErrors extends Error {
  readonly errors: readonly ConfigError[];
  readonly warnings: readonly string[];
  constructor(errors: readonly ConfigError[], warnings: readonly string[] = []) {
    super(errors.map((e) => e.message).join("\n"));
    this.name = "ConfigErrors";
    this.errors = errors;
    this.warnings = warnings;
  }
}

export interface ParseOptions {
  /**
   * `1.1` for files Go reads with go-yaml (`yes` is a boolean, `<<` merges).
   * @default "1.2"
   */
  readonly version?: "1.1" | "1.2";
  /** Prefix of syntax error messages. @default "" */
  readonly syntaxPrefix?: string;
  /**
   * Unknown keys are warnings, not errors: for files upstream decodes leniently (its config
   * file; go-yaml without KnownFields). @default false
   */
  readonly lenient?: boolean;
}

/** A parsed document and the means to locate its nodes. */
export interface ParsedYaml {
  readonly doc: Document;
  readonly decoder: Decoder;
}

/**
 * Deepest nesting a document may have. The YAML library and every walk over its
 * tree recurse, so a few thousand levels (`[[[[...`) overflow the stack; no config
 * needs more than a dozen.
 */
export const MAX_YAML_DEPTH = 128;

/** Parses `text`; throws {@link ConfigErrors} on a syntax error, each one located. */
export function parseYaml(text: string, file: string, options: ParseOptions = {}): ParsedYaml {
  const lines = new LineCounter();
  const tooDeep = (line: number, key: string) =>
    new ConfigErrors([
      new ConfigError(
        `${options.syntaxPrefix ?? ""}Nested more than ${MAX_YAML_DEPTH} levels deep`,
        { file, path: key, line, column: 1 },
      ),
    ]);
  const deep = deepestLine(text, MAX_YAML_DEPTH);
  if (deep) throw tooDeep(deep.line, deep.key);
  let doc;
  try {
    doc = parseDocument(text, {
      lineCounter: lines,
      prettyErrors: false,
      uniqueKeys: true,
      version: options.version ?? "1.2",
      merge: options.version === "1.1",
    });
  } catch (err) {
    // What the scan above cannot foresee (aliases, exotic syntax) still ends located, not thrown.
    // A regular expression run out of stack throws SyntaxError, not RangeError.
    if (err instanceof RangeError || /call stack/i.test(String(err))) throw tooDeep(1, "");
    throw err;
  }
  const decoder = new Decoder(file, lines, text, {
    doc,
    lenient: options.lenient ?? false,
    merge: options.version === "1.1",
  });
  for (const e of doc.errors) {
    const pos = lines.linePos(e.pos[0]);
    // prettyErrors would splice a source excerpt into the message; it is located instead.
    decoder.errors.push(
      new ConfigError(`${options.syntaxPrefix ?? ""}${e.message.split("\n")[0]!}`, {
        file,
        path: "",
        line: pos.line,
        column: pos.col,
      }),
    );
  }
  decoder.throwIfFailed();
  return { doc, decoder };
}

/**
 * The first line where the nesting of `text` goes past `max` levels, and the top-level key
 * it is under; undefined when it never does. An estimate made without parsing (so without
 * recursion): flow brackets outside quotes and comments, plus block levels by indentation
 * and `- ` indicators. It may count a level too many, never hundreds.
 */
export function deepestLine(text: string, max: number): { line: number; key: string } | undefined {
  const indents: number[] = [];
  let flow = 0;
  let key = "";
  let line = 0;
  for (const raw of text.split("\n")) {
    line++;
    let i = 0;
    while (raw[i] === " ") i++;
    if (i === raw.length || raw[i] === "#") continue;
    // Indentation counts inside an unclosed flow collection too: the parser still nests on it.
    while (indents.length > 0 && indents.at(-1)! >= i) indents.pop();
    indents.push(i);
    if (i === 0) key = /^([^:#\s]+)\s*:/.exec(raw)?.[1] ?? key;
    let block = indents.length;
    let quote = "";
    for (let j = i; j < raw.length; j++) {
      const c = raw[j];
      if (quote) {
        if (c === quote) quote = "";
        continue;
      }
      if (c === "'" || c === '"') quote = c;
      else if (c === "#" && (j === 0 || raw[j - 1] === " ")) break;
      else if (c === "[" || c === "{") flow++;
      else if ((c === "]" || c === "}") && flow > 0) flow--;
      else if (c === "-" && flow === 0 && (raw[j + 1] === " " || j + 1 === raw.length)) block++;
      if (flow + block > max) return { line, key };
    }
  }
  return undefined;
}

/** A key of a mapping and its value node (null for an empty `key:`). */
export interface Entry {
  readonly key: Node;
  readonly value: Node | null;
}

/** Walks the nodes of one document, recording located errors and warnings. */
export class Decoder {
  readonly errors: ConfigError[] = [];
  readonly warnings: string[] = [];
  /** Unknown keys are warnings (see {@link ParseOptions.lenient}). */
  readonly lenient: boolean;
  readonly #doc: Document | undefined;
  readonly #merge: boolean;

  constructor(
    readonly file: string,
    readonly lines: LineCounter,
    readonly text: string,
    options: { doc?: Document; lenient?: boolean; merge?: boolean } = {},
  ) {
    this.#doc = options.doc;
    this.lenient = options.lenient ?? false;
    this.#merge = options.merge ?? false;
  }

  /** The node an alias (`*anchor`) stands for; any other node as it is. */
  deref(node: Node | null | undefined): Node | null | undefined {
    if (!isAlias(node) || !this.#doc) return node;
    return (node.resolve(this.#doc) as Node | undefined) ?? null;
  }

  /** Where a node starts, when it comes from the text (nodes made from flags do not). */
  position(node: Node | null | undefined): { line?: number; column?: number } {
    const offset = node?.range?.[0];
    if (offset === undefined || this.text === "") return {};
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }

  /** Records an error at `node`; returns undefined so decoders can `return d.fail(...)`. */
  fail(message: string, node: Node | null | undefined, path: string, cause?: unknown): undefined {
    const error = new ConfigError(message, { file: this.file, path, ...this.position(node) });
    if (cause !== undefined) error.cause = cause;
    this.errors.push(error);
    return undefined;
  }

  /** Records a warning, located like an error. */
  warn(message: string, node: Node | null | undefined, path: string): void {
    const { line, column } = this.position(node);
    const at = line === undefined ? this.file : `${this.file}:${line}:${column}`;
    this.warnings.push(`${at}: ${path ? `${path}: ` : ""}${message}`);
  }

  /** Throws every error recorded so far, if any. */
  throwIfFailed(): void {
    if (this.errors.length) throw new ConfigErrors(this.errors, this.warnings);
  }

  /** Throws the first error recorded so far, if any: for loaders that stop at the first problem. */
  throwFirst(): void {
    if (this.errors[0]) throw this.errors[0];
  }

  /** Records an error and stops: for checks that later steps cannot do without. */
  stop(message: string, node: Node | null | undefined, path: string, cause?: unknown): never {
    this.fail(message, node, path, cause);
    throw this.errors.at(-1)!;
  }

  /** True for an absent value: no node, or `key:` / `~` / `null`. */
  isNull(node: Node | null | undefined): node is null | undefined | Scalar<null> {
    return node == null || (isScalar(node) && node.value === null);
  }

  /** Map entries in source order; null counts as empty, like go-yaml. `<<` merges (YAML 1.1). */
  entries(node: Node | null | undefined, path: string): Map<string, Entry> {
    const out = new Map<string, Entry>();
    node = this.deref(node);
    if (this.isNull(node)) return out;
    if (!isMap(node)) {
      this.fail(`Expected a mapping, found ${describe(node)}`, node, path);
      return out;
    }
    const merged: Map<string, Entry>[] = [];
    for (const pair of (node as YAMLMap).items) {
      // Nodes made from plain values (the flags' document) keep plain keys.
      const key = isScalar(pair.key) || typeof pair.key !== "string"
        ? pair.key as Node
        : new Scalar(pair.key);
      // go-yaml decodes `1234:` into a map[string] as "1234", so a numeric key is fine.
      if (!isScalar(key) || key.value === null || typeof key.value === "object") {
        this.fail("Mapping keys must be strings", key, path);
        continue;
      }
      const value = this.deref(pair.value as Node | null) ?? null;
      const name = this.scalarText(key);
      if (this.#merge && name === "<<" && (isMap(value) || isSeq(value))) {
        // Explicit keys win over merged ones; earlier merged mappings over later ones.
        for (const m of isSeq(value) ? value.items as Node[] : [value]) {
          merged.push(this.entries(m, path));
        }
        continue;
      }
      out.set(name, { key, value });
    }
    for (const m of merged) for (const [k, e] of m) if (!out.has(k)) out.set(k, e);
    return out;
  }

  /** The items of a list; null counts as empty. Undefined (after an error) for anything else. */
  items(node: Node | null | undefined, path: string): Node[] | undefined {
    node = this.deref(node);
    if (this.isNull(node)) return [];
    if (!isSeq(node)) return this.fail(`Expected a list, found ${describe(node)}`, node, path);
    return (node.items as Node[]).map((item) => this.deref(item) ?? new Scalar(null));
  }

  /** Like {@link entries} for a fixed set of keys: an unknown one is an error with a "did you mean". */
  map(
    node: Node | null | undefined,
    path: string,
    allowed: readonly string[],
  ): Map<string, Node | null> {
    const out = new Map<string, Node | null>();
    for (const [name, { key, value }] of this.entries(node, path)) {
      if (!allowed.includes(name)) {
        this.fail(
          `Unknown key "${name}"${hint(name, allowed)}`,
          key,
          path ? `${path}.${name}` : name,
        );
        continue;
      }
      out.set(name, value);
    }
    return out;
  }

  /** A list of strings, each one of `allowed` when given. */
  strList(node: Node | null | undefined, path: string, allowed?: readonly string[]): string[] {
    return (this.items(node, path) ?? []).map((item, i) => {
      const v = this.str(item, `${path}[${i}]`) ?? "";
      return allowed ? this.oneOf(v, allowed, item, `${path}[${i}]`) ?? v : v;
    });
  }

  /** Scalars are taken as written where text is expected, as go-yaml does (`port: 123`). */
  str(node: Node | null | undefined, path: string): string | undefined {
    if (this.isNull(node)) return undefined;
    if (!isScalar(node)) return this.fail(`Expected a string, found ${describe(node)}`, node, path);
    return this.scalarText(node);
  }

  bool(node: Node | null | undefined, path: string): boolean | undefined {
    if (this.isNull(node)) return undefined;
    if (!isScalar(node) || typeof node.value !== "boolean") {
      return this.fail(`Expected true or false, found ${describe(node)}`, node, path);
    }
    return node.value;
  }

  /** `value` if it is one of `allowed`, else an error with the choices and a "did you mean". */
  oneOf<T extends string>(
    value: string,
    allowed: readonly T[],
    node: Node | null | undefined,
    path: string,
  ): T | undefined {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    const choices = allowed.length > 6 ? "" : `: expected one of ${allowed.join(", ")}`;
    return this.fail(`Invalid value "${value}"${choices}${hint(value, allowed)}`, node, path);
  }

  /** A scalar as written in the text (`1.10` stays `1.10`); as its value for made-up nodes. */
  scalarText(node: Scalar): string {
    if (typeof node.value === "string") return node.value;
    const [start, end] = node.range ?? [0, 0];
    return end > start ? this.text.slice(start, end) : String(node.value);
  }
}

/** What a node is, for messages: `a mapping`, `a list`, `string "x"`, `null`. */
export function describe(node: Node | null | undefined): string {
  if (node == null) return "nothing";
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) {
    return node.value === null ? "null" : `${typeof node.value} ${JSON.stringify(node.value)}`;
  }
  return "an unsupported node";
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

/** Levenshtein distance. */
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
