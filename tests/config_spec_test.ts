import assert from "node:assert/strict";
import type { Node } from "yaml";
import { type ParseOptions, parseYaml } from "../src/config/decode.ts";
import {
  bool,
  duration,
  int,
  list,
  MAX_DURATION_MS,
  num,
  obj,
  oneOf,
  optional,
  refine,
  type Spec,
  str,
  stringMap,
  tagged,
} from "../src/config/spec.ts";
import type { ConfigError } from "../src/errors.ts";

const FILE = "spec.yaml";

interface Decoded<T> {
  readonly value: T;
  readonly errors: readonly ConfigError[];
  readonly messages: readonly string[];
  readonly warnings: readonly string[];
}

/** Decodes a whole document with `spec` at the root (key paths then start at the top keys). */
function decode<T>(spec: Spec<T>, text: string, options: ParseOptions = {}): Decoded<T> {
  const { doc, decoder: d } = parseYaml(text, FILE, options);
  const root = (doc.contents as Node | null) ?? doc.createNode({});
  const value = spec.decode(root, { d, baseDir: "/base" }, "");
  return {
    value,
    errors: d.errors,
    messages: d.errors.map((e) => e.message),
    warnings: d.warnings,
  };
}

/** Decodes `text` as the document `{ v: ... }`: one field, at key path `v`. */
function field<T>(spec: Spec<T>, text: string, options: ParseOptions = {}) {
  const r = decode(obj({ v: spec }), text, options);
  return { ...r, value: (r.value as { v?: Exclude<T, undefined> }).v };
}

// ---------------------------------------------------------------------------
// str

Deno.test("str() takes numbers and booleans as written in the text", () => {
  assert.equal(field(str(), "v: 9793\n").value, "9793");
  assert.equal(field(str(), "v: 1.10\n").value, "1.10");
  assert.equal(field(str(), "v: 0x1F\n").value, "0x1F");
  assert.equal(field(str(), "v: true\n").value, "true");
  assert.deepEqual(field(str(), "v: hello\n").messages, []);
});

Deno.test("str() returns its default when the key is absent, and nothing without one", () => {
  assert.equal(field(str({ default: ":9793" }), "{}\n").value, ":9793");
  const r = decode(obj({ v: str() }), "{}\n");
  assert.equal("v" in r.value, false);
  assert.deepEqual(r.messages, []);
});

Deno.test("str() refuses an explicit null instead of taking it as absent (decodesNull)", () => {
  assert.equal(str().decodesNull, true);
  for (const text of ["v:\n", "v: ~\n", "v: null\n"]) {
    const r = field(str({ default: "d" }), text);
    assert.deepEqual(r.messages.map((m) => m.replace(/:\d+:\d+:/, ":L:C:")), [
      "spec.yaml:L:C: v: Expected a string, found null",
    ], text);
  }
});

Deno.test("str() refuses a mapping or a list, describing what it found", () => {
  assert.deepEqual(field(str(), "v: {a: 1}\n").messages, [
    "spec.yaml:1:4: v: Expected a string, found a mapping",
  ]);
  assert.deepEqual(field(str(), "v: [a]\n").messages, [
    "spec.yaml:1:4: v: Expected a string, found a list",
  ]);
});

Deno.test("str({ nonEmpty }) refuses the empty string", () => {
  assert.deepEqual(field(str({ nonEmpty: true }), 'v: ""\n').messages, [
    "spec.yaml:1:4: v: Must not be empty",
  ]);
  assert.equal(field(str({ nonEmpty: true }), "v: x\n").value, "x");
});

Deno.test("str({ nonEmpty }) with a default takes the empty string as the default", () => {
  const r = field(str({ nonEmpty: true, default: ":9793" }), 'v: ""\n');
  assert.equal(r.value, ":9793");
  assert.deepEqual(r.messages, []);
});

Deno.test("str({ path }) resolves a relative value against the file's directory only", () => {
  assert.equal(field(str({ path: true }), "v: certs/a.pem\n").value, "/base/certs/a.pem");
  assert.equal(field(str({ path: true }), "v: ../a.pem\n").value, "/a.pem");
  assert.equal(field(str({ path: true }), "v: /etc/a.pem\n").value, "/etc/a.pem");
  assert.equal(field(str({ path: true }), 'v: ""\n').value, "");
});

// ---------------------------------------------------------------------------
// oneOf

Deno.test("oneOf() accepts one of its words and defaults when absent or null", () => {
  const level = oneOf(["debug", "info", "warn", "error"], "info");
  assert.equal(field(level, "v: warn\n").value, "warn");
  assert.equal(field(level, "{}\n").value, "info");
  assert.equal(field(level, "v: ~\n").value, "info");
});

Deno.test("oneOf() refuses another word, listing the choices with a did-you-mean", () => {
  const level = oneOf(["debug", "info", "warn", "error"], "info");
  assert.deepEqual(field(level, "v: inof\n").messages, [
    'spec.yaml:1:4: v: Invalid value "inof": expected one of debug, info, warn, error ' +
    '(did you mean "info"?)',
  ]);
  assert.deepEqual(field(level, "v: verbose\n").messages, [
    'spec.yaml:1:4: v: Invalid value "verbose": expected one of debug, info, warn, error',
  ]);
});

Deno.test("oneOf() leaves out the choices past six words but still suggests one", () => {
  const many = oneOf(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]);
  assert.deepEqual(field(many, "v: delat\n").messages, [
    'spec.yaml:1:4: v: Invalid value "delat" (did you mean "delta"?)',
  ]);
});

Deno.test("oneOf() matches a number against its words as written", () => {
  assert.equal(field(oneOf(["1.10", "2"]), "v: 1.10\n").value, "1.10");
});

Deno.test("oneOf() with a default takes the empty string as the default", () => {
  assert.equal(field(oneOf(["text", "json"], "text"), 'v: ""\n').value, "text");
  assert.equal(field(oneOf(["text", "json"]), 'v: ""\n').messages.length, 1);
});

Deno.test("oneOf({ caseInsensitive }) takes a word in any case as the listed one", () => {
  const level = oneOf(["debug", "info"], "info", { caseInsensitive: true });
  assert.equal(field(level, "v: DEBUG\n").value, "debug");
  assert.equal(field(oneOf(["debug", "info"], "info"), "v: DEBUG\n").messages.length, 1);
});

Deno.test("oneOf({ fallback }) takes an unknown word as the fallback, with a located warning", () => {
  const r = field(oneOf(["text", "json"], "text", { fallback: "text" }), "v: jsno\n");
  assert.equal(r.value, "text");
  assert.deepEqual(r.messages, []);
  assert.deepEqual(r.warnings, [
    'spec.yaml:1:4: v: Unknown value "jsno" means text (did you mean "json"?)',
  ]);
});

Deno.test("oneOf() refuses a mapping, naming the choices", () => {
  assert.deepEqual(field(oneOf(["a", "b"]), "v: {x: 1}\n").messages, [
    "spec.yaml:1:4: v: Expected one of a, b, found a mapping",
  ]);
});

// ---------------------------------------------------------------------------
// bool

Deno.test("bool() decodes true and false and defaults when absent", () => {
  assert.equal(field(bool(false), "v: true\n").value, true);
  assert.equal(field(bool(true), "v: false\n").value, false);
  assert.equal(field(bool(true), "{}\n").value, true);
  assert.equal(field(bool(), "{}\n").value, undefined);
});

Deno.test("bool() refuses YAML 1.1 words in a 1.2 document but takes them in a 1.1 one", () => {
  assert.deepEqual(field(bool(false), "v: yes\n").messages, [
    'spec.yaml:1:4: v: Expected true or false, found string "yes"',
  ]);
  assert.equal(field(bool(false), "v: yes\n", { version: "1.1" }).value, true);
});

// ---------------------------------------------------------------------------
// num / int

Deno.test("num() refuses a value outside min..max, stating the bound", () => {
  const n = num({ min: 0, max: 10 });
  assert.equal(field(n, "v: 2.5\n").value, 2.5);
  assert.deepEqual(field(n, "v: -1\n").messages, ["spec.yaml:1:4: v: Must be >= 0, found -1"]);
  assert.deepEqual(field(n, "v: 11\n").messages, ["spec.yaml:1:4: v: Must be <= 10, found 11"]);
});

Deno.test("num({ clamp }) brings a value outside min..max inside instead of refusing it", () => {
  const n = int({ default: 500, min: 1, max: 1000, clamp: true });
  const high = field(n, "v: 5000\n");
  assert.equal(high.value, 1000);
  assert.deepEqual(high.messages, []);
  assert.equal(field(n, "v: 0\n").value, 1);
  assert.equal(field(n, "v: 42\n").value, 42);
  assert.equal(field(n, "{}\n").value, 500);
});

Deno.test("num({ outOfRangeIsDefault }) takes a value outside min..max as the default, with a warning", () => {
  const r = field(int({ default: 8, min: 4, max: 64, outOfRangeIsDefault: true }), "v: 100\n");
  assert.equal(r.value, 8);
  assert.deepEqual(r.messages, []);
  assert.deepEqual(r.warnings, ["spec.yaml:1:4: v: 100 is outside 4..64: the default 8 is used"]);
});

Deno.test("num() refuses text, even text that reads as a number", () => {
  assert.deepEqual(field(num(), 'v: "12"\n').messages, [
    'spec.yaml:1:4: v: Expected a number, found string "12"',
  ]);
});

Deno.test("int() refuses a fraction", () => {
  assert.deepEqual(field(int({ default: 1 }), "v: 1.5\n").messages, [
    "spec.yaml:1:4: v: Expected an integer, found number 1.5",
  ]);
  assert.equal(field(int({ default: 1 }), "v: 7\n").value, 7);
  assert.equal(field(int({ default: 1 }), "{}\n").value, 1);
});

Deno.test({
  name: "num() refuses NaN, which no min or max comparison catches",

  fn() {
    const r = field(num({ default: 20, min: 0 }), "v: .nan\n");
    assert.equal(r.messages.length, 1, `decoded to ${r.value}`);
  },
});

// ---------------------------------------------------------------------------
// duration

Deno.test("duration() decodes Go durations into milliseconds", () => {
  assert.equal(field(duration(1), "v: 1h30m\n").value, 5_400_000);
  assert.equal(field(duration(1), "v: 250ms\n").value, 250);
  assert.equal(field(duration(1), "v: 1.5s\n").value, 1500);
  assert.equal(field(duration(30_000), "{}\n").value, 30_000);
  assert.equal(field(duration(), "{}\n").value, undefined);
});

Deno.test("duration() takes zero or a negative duration as the default, with a warning", () => {
  for (const text of ["v: 0\n", 'v: "0"\n', "v: -5s\n"]) {
    const r = field(duration(30_000), text);
    assert.equal(r.value, 30_000, text);
    assert.deepEqual(r.messages, [], text);
    assert.equal(r.warnings.length, 1, text);
    assert.match(r.warnings[0]!, /^spec\.yaml:1:4: v: .* means the default \(30000 ms\)$/);
  }
});

Deno.test("duration() refuses a bare number or a malformed text, with an example", () => {
  for (const [text, found] of [["v: 30\n", "number 30"], ["v: 30 seconds\n", '"30 seconds"']]) {
    assert.deepEqual(field(duration(1), text!).messages, [
      `spec.yaml:1:4: v: Expected a duration such as "30s", "5m" or "1h30m", found ${
        found!.startsWith('"') ? "string " : ""
      }${found}`,
    ]);
  }
});

Deno.test("duration() raises a value below its minimum to the minimum, with a warning", () => {
  const r = field(duration(1000, 100), "v: 50ms\n");
  assert.equal(r.value, 100);
  assert.deepEqual(r.messages, []);
  assert.deepEqual(r.warnings, [
    "spec.yaml:1:4: v: 50ms is below the minimum of 100 ms, which is used instead",
  ]);
  assert.equal(field(duration(1000, 100), "v: 100ms\n").value, 100);
});

Deno.test("duration() clamps a wait longer than a timer can hold, with a warning", () => {
  const r = field(duration(1000), "v: 1000h\n");
  assert.equal(r.value, MAX_DURATION_MS);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0]!, /above the longest wait of 2147483647 ms/);
  assert.equal(field(duration(1000), "v: 500h\n").value, 500 * 3_600_000);
});

// ---------------------------------------------------------------------------
// list

Deno.test("list() decodes each item, naming its index in the key path", () => {
  const r = field(list(int()), "v: [1, x, 3]\n");
  assert.deepEqual(r.messages, ['spec.yaml:1:8: v[1]: Expected an integer, found string "x"']);
  assert.deepEqual(field(list(int()), "v: [1, 2, 3]\n").value, [1, 2, 3]);
});

Deno.test("list() refuses fewer items than minItems, naming the key path", () => {
  const r = field(list(str(), { minItems: 2 }), "v:\n  - a\n");
  assert.deepEqual(r.messages, ["spec.yaml:2:3: v: Expected at least 2 item(s)"]);
  assert.deepEqual(r.value, []);
  assert.deepEqual(field(list(str(), { minItems: 2 }), "v: [a, b]\n").value, ["a", "b"]);
});

Deno.test({
  name: "list() refuses an explicit null when minItems asks for items",

  fn() {
    const spec = obj({ v: list(str(), { minItems: 1 }) }, { required: ["v"] });
    assert.equal(decode(spec, "v:\n").messages.length, 1);
    assert.equal(decode(spec, "v: ~\n").messages.length, 1);
  },
});

Deno.test("list() is its default when absent or null, a fresh copy each time", () => {
  const spec = list(str(), { default: ["pem"] });
  const a = field(spec, "{}\n").value;
  const b = field(spec, "v: ~\n").value;
  assert.deepEqual(a, ["pem"]);
  assert.deepEqual(b, ["pem"]);
  assert.notEqual(a, b);
  assert.deepEqual(field(list(str()), "{}\n").value, []);
});

Deno.test("list({ emptyIsDefault }) takes [] as the default instead of refusing it", () => {
  const formats = list(oneOf(["pem", "der"]), {
    default: ["pem"],
    minItems: 1,
    emptyIsDefault: true,
  });
  const r = field(formats, "v: []\n");
  assert.deepEqual(r.value, ["pem"]);
  assert.deepEqual(r.messages, []);
  assert.equal(field(list(str(), { minItems: 1 }), "v: []\n").messages.length, 1);
});

Deno.test("list() decodes a null item instead of dropping it", () => {
  assert.deepEqual(field(list(str()), "v: [~, a]\n").messages, [
    "spec.yaml:1:5: v[0]: Expected a string, found null",
  ]);
});

Deno.test("list() refuses a scalar or a mapping", () => {
  assert.deepEqual(field(list(str()), "v: a\n").messages, [
    'spec.yaml:1:4: v: Expected a list, found string "a"',
  ]);
  assert.deepEqual(field(list(str()), "v: {a: 1}\n").messages, [
    "spec.yaml:1:4: v: Expected a list, found a mapping",
  ]);
});

// ---------------------------------------------------------------------------
// stringMap

Deno.test("stringMap() keeps string values and refuses others at their own key path", () => {
  const r = field(stringMap(), "v:\n  X-Token: abc\n  X-Count: 1\n  X-Empty:\n");
  assert.deepEqual(r.value, { "X-Token": "abc" });
  assert.deepEqual(r.messages, [
    "spec.yaml:3:12: v.X-Count: Expected a string value",
    "spec.yaml:4:11: v.X-Empty: Expected a string value",
  ]);
});

Deno.test("stringMap() is empty when absent and refuses a list", () => {
  assert.deepEqual(field(stringMap(), "{}\n").value, {});
  assert.deepEqual(field(stringMap(), "v: [a]\n").messages, [
    "spec.yaml:1:4: v: Expected a mapping, found a list",
  ]);
});

// ---------------------------------------------------------------------------
// obj

Deno.test("obj() decodes known keys and fills the absent ones with their defaults", () => {
  const spec = obj({ a: str({ default: "A" }), b: bool(true), c: int() });
  assert.deepEqual(decode(spec, "a: x\n").value, { a: "x", b: true });
  assert.deepEqual(spec.keys, ["a", "b", "c"]);
});

Deno.test("obj() refuses an unknown key with a did-you-mean, at the key's position", () => {
  const spec = obj({ server: obj({ listen: str() }) });
  const r = decode(spec, "server:\n  lisen: :1\n  zzzzzzzz: 1\n");
  assert.deepEqual(r.messages, [
    'spec.yaml:2:3: server.lisen: Unknown key "lisen" (did you mean "listen"?)',
    'spec.yaml:3:3: server.zzzzzzzz: Unknown key "zzzzzzzz"',
  ]);
});

Deno.test("obj() suggests a key whatever its case", () => {
  assert.deepEqual(decode(obj({ refreshInterval: duration() }), "refreshinterval: 1s\n").messages, [
    'spec.yaml:1:1: refreshinterval: Unknown key "refreshinterval" (did you mean "refreshInterval"?)',
  ]);
});

Deno.test("obj() accepts an ignored key with a located warning saying why", () => {
  const spec = obj({ a: str() }, { ignored: { timing: "every log line carries a timestamp" } });
  const r = decode(spec, "a: x\ntiming: true\n");
  assert.deepEqual(r.messages, []);
  assert.deepEqual(r.value, { a: "x" });
  assert.deepEqual(r.warnings, [
    "spec.yaml:2:1: timing: accepted but ignored: every log line carries a timestamp",
  ]);
});

Deno.test("obj() in a lenient document warns about an unknown key instead of refusing it", () => {
  const r = decode(obj({ listen: str() }), "listen: :1\nlisen: :2\n", { lenient: true });
  assert.deepEqual(r.messages, []);
  assert.deepEqual(r.value, { listen: ":1" });
  assert.deepEqual(r.warnings, [
    'spec.yaml:2:1: lisen: Unknown key "lisen" is ignored (did you mean "listen"?)',
  ]);
});

Deno.test("obj() reports a missing required key at the mapping, with the key's path", () => {
  const spec = obj({ s: obj({ name: str(), paths: list(str()) }, { required: ["name"] }) });
  const r = decode(spec, "s:\n  paths: [a]\n");
  assert.deepEqual(r.messages, ['spec.yaml:2:3: s.name: Missing required key "name"']);
});

Deno.test("obj() is its defaults when absent, leaving required keys to the decoder", () => {
  const spec = obj({ inner: obj({ name: str(), n: int({ default: 3 }) }, { required: ["name"] }) });
  const r = decode(spec, "{}\n");
  assert.deepEqual(r.value, { inner: { n: 3 } });
  assert.deepEqual(r.messages, []);
});

Deno.test("obj() takes a null mapping as empty and refuses a scalar", () => {
  const spec = obj({ inner: obj({ n: int({ default: 3 }) }) });
  assert.deepEqual(decode(spec, "inner:\n").value, { inner: { n: 3 } });
  assert.deepEqual(decode(spec, "inner: 5\n").messages, [
    "spec.yaml:1:8: inner: Expected a mapping, found number 5",
  ]);
});

Deno.test("obj() reports every error of the document at once", () => {
  const spec = obj({ a: int(), b: bool(), c: oneOf(["x"]) });
  assert.equal(decode(spec, "a: one\nb: two\nc: three\nd: four\n").messages.length, 4);
});

Deno.test("errors carry the file, line, column and key path as fields", () => {
  const spec = obj({ sources: list(obj({ refreshInterval: duration() })) });
  const [e] = decode(spec, "sources:\n  - refreshInterval: soon\n").errors;
  assert.ok(e);
  assert.equal(e.name, "ConfigError");
  assert.equal(e.file, FILE);
  assert.equal(e.line, 2);
  assert.equal(e.column, 22);
  assert.equal(e.path, "sources[0].refreshInterval");
  assert.match(e.message, /^spec\.yaml:2:22: sources\[0\]\.refreshInterval: Expected a duration/);
});

Deno.test("errors on nodes made outside the text name the file without a position", () => {
  const { doc, decoder: d } = parseYaml("", "flags");
  obj({ n: int() }).decode(doc.createNode({ n: "x" }) as Node, { d, baseDir: "/" }, "");
  assert.deepEqual(d.errors.map((e) => [e.message, e.line, e.column]), [
    ['flags: n: Expected an integer, found string "x"', undefined, undefined],
  ]);
});

// ---------------------------------------------------------------------------
// optional

Deno.test("optional() stays undefined when absent instead of taking its defaults", () => {
  const spec = obj({ tls: optional(obj({ verify: bool(true) })) });
  const absent = decode(spec, "{}\n").value;
  assert.equal("tls" in absent, false);
  assert.deepEqual(decode(spec, "tls: {}\n").value, { tls: { verify: true } });
  assert.deepEqual(decode(spec, "tls: {verify: false}\n").value, { tls: { verify: false } });
});

Deno.test("optional() keeps the errors of a present value", () => {
  const spec = obj({ tls: optional(obj({ verify: bool(true) })) });
  assert.deepEqual(decode(spec, "tls: {verfy: false}\n").messages, [
    'spec.yaml:1:7: tls.verfy: Unknown key "verfy" (did you mean "verify"?)',
  ]);
});

// ---------------------------------------------------------------------------
// tagged

const SOURCES = obj({
  sources: list(tagged("kind", {
    file: obj({ name: str(), paths: list(str()) }, { required: ["name"] }),
    url: obj({ name: str(), url: str() }),
  })),
});

Deno.test("tagged() decodes a mapping with the variant its tag names, tag included", () => {
  const r = decode(SOURCES, "sources:\n  - {kind: file, name: a, paths: [x]}\n  - {kind: url}\n");
  assert.deepEqual(r.messages, []);
  assert.deepEqual(r.value.sources, [{ kind: "file", name: "a", paths: ["x"] }, { kind: "url" }]);
});

Deno.test("tagged() refuses a missing tag, listing the variants", () => {
  assert.deepEqual(decode(SOURCES, "sources:\n  - name: a\n").messages, [
    'spec.yaml:2:5: sources[0].kind: Missing required key "kind" (one of file, url)',
  ]);
});

Deno.test("tagged() refuses an unknown tag with a did-you-mean, at the tag's value", () => {
  assert.deepEqual(decode(SOURCES, "sources:\n  - kind: fiel\n    name: a\n").messages, [
    'spec.yaml:2:11: sources[0].kind: Unknown kind "fiel"; expected one of file, url ' +
    '(did you mean "file"?)',
  ]);
});

Deno.test("tagged() lets the tag through at its own level only", () => {
  const spec = tagged("kind", { a: obj({ inner: obj({ x: str() }) }) });
  assert.deepEqual(decode(spec, "kind: a\ninner: {kind: b}\n").messages, [
    'spec.yaml:2:9: inner.kind: Unknown key "kind"',
  ]);
});

Deno.test("tagged() in a lenient document names the variants a misplaced key belongs to", () => {
  const r = decode(SOURCES, "sources:\n  - {kind: url, name: a, paths: [x]}\n", { lenient: true });
  assert.deepEqual(r.messages, []);
  assert.deepEqual(r.warnings, [
    'spec.yaml:2:26: sources[0].paths: ignored: "paths" applies to file sources',
  ]);
  assert.deepEqual(r.value.sources, [{ kind: "url", name: "a" }]);
});

Deno.test("tagged() in a strict document refuses a key of another variant", () => {
  assert.deepEqual(decode(SOURCES, "sources:\n  - {kind: url, paths: [x]}\n").messages, [
    'spec.yaml:2:17: sources[0].paths: Unknown key "paths"',
  ]);
});

Deno.test("tagged() refuses a scalar", () => {
  assert.deepEqual(decode(SOURCES, "sources: [file]\n").messages, [
    'spec.yaml:1:11: sources[0]: Expected a mapping, found string "file"',
  ]);
});

Deno.test({
  name: "tagged() reports a non-string key once",

  fn() {
    const spec = tagged("kind", { a: obj({ x: str() }) });
    assert.deepEqual(decode(spec, "kind: a\n~: 1\n").messages, [
      "spec.yaml:2:1: Mapping keys must be strings",
    ]);
  },
});

// ---------------------------------------------------------------------------
// refine

Deno.test("refine() checks the decoded value and reports through the decoder", () => {
  const spec = refine(obj({ a: bool(false), b: bool(false) }), (v, ctx, path, node) => {
    if (!v.a && !v.b) ctx.d.fail("Enable a or b", node, path);
    return v;
  });
  assert.deepEqual(spec.keys, ["a", "b"]);
  assert.deepEqual(decode(obj({ r: spec }), "r:\n  a: false\n").messages, [
    "spec.yaml:2:3: r: Enable a or b",
  ]);
  assert.deepEqual(decode(obj({ r: spec }), "r: {b: true}\n").messages, []);
});

Deno.test("refine() keeps decodesNull, so a refined text field still refuses null", () => {
  const spec = refine(str({ default: "x" }), (v) => v);
  assert.equal(spec.decodesNull, true);
  assert.deepEqual(field(spec, "v: ~\n").messages, [
    "spec.yaml:1:4: v: Expected a string, found null",
  ]);
});

Deno.test("refine() also checks the value of an absent key, with no node to locate", () => {
  const seen: (Node | undefined)[] = [];
  const spec = refine(int({ default: 2 }), (v, _ctx, _path, node) => {
    seen.push(node);
    return v * 10;
  });
  assert.equal(field(spec, "{}\n").value, 20);
  assert.equal(field(spec, "v: 3\n").value, 30);
  assert.equal(seen[0], undefined);
  assert.ok(seen[1]);
});
