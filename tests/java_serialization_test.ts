import assert from "node:assert/strict";
import { DataReader } from "../src/parse/_data_reader.ts";
import { skipSerializedObject } from "../src/parse/_java_serialization.ts";

// Object Serialization Stream Protocol constants, as a Java ObjectOutputStream writes them.
const HEADER = [0xac, 0xed, 0x00, 0x05];
const TC_NULL = 0x70;
const TC_REFERENCE = 0x71;
const TC_CLASSDESC = 0x72;
const TC_OBJECT = 0x73;
const TC_STRING = 0x74;
const TC_ARRAY = 0x75;
const TC_CLASS = 0x76;
const TC_BLOCKDATA = 0x77;
const TC_ENDBLOCKDATA = 0x78;
const TC_LONGSTRING = 0x7c;
const TC_ENUM = 0x7e;
const SC_WRITE_METHOD = 0x01;
const SC_SERIALIZABLE = 0x02;
const SC_EXTERNALIZABLE = 0x04;
const BASE_HANDLE = 0x7e0000;
const TRAILER = [0xca, 0xfe];

type Bytes = readonly number[];

const u16 = (n: number): Bytes => [n >> 8 & 0xff, n & 0xff];
const u32 = (n: number): Bytes => [n >>> 24 & 0xff, n >> 16 & 0xff, n >> 8 & 0xff, n & 0xff];
const utf = (s: string): Bytes => {
  const b = new TextEncoder().encode(s);
  return [...u16(b.length), ...b];
};
const string = (s: string): Bytes => [TC_STRING, ...utf(s)];
const ref = (handle: number): Bytes => [TC_REFERENCE, ...u32(BASE_HANDLE + handle)];

interface Field {
  readonly type: string;
  readonly name: string;
  /** For object fields (`L`, `[`): the class name content, usually a TC_STRING. */
  readonly className?: Bytes;
}

/** A TC_CLASSDESC: name, serialVersionUID, flags, fields, empty annotation, then its super. */
function classDesc(
  name: string,
  o: { flags?: number; fields?: readonly Field[]; superDesc?: Bytes; annotation?: Bytes } = {},
): Bytes {
  const fields = o.fields ?? [];
  return [
    TC_CLASSDESC,
    ...utf(name),
    ...[1, 2, 3, 4, 5, 6, 7, 8],
    o.flags ?? SC_SERIALIZABLE,
    ...u16(fields.length),
    ...fields.flatMap((f) => [f.type.charCodeAt(0), ...utf(f.name), ...(f.className ?? [])]),
    ...(o.annotation ?? []),
    TC_ENDBLOCKDATA,
    ...(o.superDesc ?? [TC_NULL]),
  ];
}

/** Runs the walk over `content` (after the stream header) and returns where it stopped. */
function skip(content: Bytes, maxDepth = 32, header: Bytes = HEADER): number {
  const reader = new DataReader(
    new Uint8Array([...header, ...content, ...TRAILER]),
    (detail) => new Error(`bad_jks: ${detail}`),
  );
  skipSerializedObject(reader, maxDepth);
  return reader.offset;
}

/** Asserts the walk stops exactly at the end of `content`, where the next entry starts. */
function assertSkipsExactly(content: Bytes, maxDepth = 32): void {
  assert.equal(skip(content, maxDepth), HEADER.length + content.length);
}

Deno.test("skipSerializedObject() skips a null object and stops right after it", () => {
  assertSkipsExactly([TC_NULL]);
});

Deno.test("skipSerializedObject() skips strings, short and long", () => {
  assertSkipsExactly(string("sealed"));
  assertSkipsExactly([TC_LONGSTRING, ...u32(0), ...u32(3), 0x61, 0x62, 0x63]);
});

Deno.test("skipSerializedObject() skips an object with primitive and object fields", () => {
  assertSkipsExactly([
    TC_OBJECT,
    ...classDesc("javax.crypto.SealedObject", {
      fields: [
        { type: "I", name: "count" },
        { type: "J", name: "stamp" },
        { type: "Z", name: "flag" },
        { type: "L", name: "paramsAlg", className: string("Ljava/lang/String;") },
      ],
    }),
    ...u32(7),
    ...[0, 0, 0, 0, 0, 0, 0, 1],
    1,
    ...string("PBEWithMD5AndTripleDES"),
  ]);
});

Deno.test("skipSerializedObject() skips a byte array by its length without walking its bytes", () => {
  const payload = Array.from({ length: 300 }, (_, i) => i & 0xff);
  assertSkipsExactly([TC_ARRAY, ...classDesc("[B"), ...u32(payload.length), ...payload]);
});

Deno.test("skipSerializedObject() walks an array of objects item by item", () => {
  assertSkipsExactly([
    TC_ARRAY,
    ...classDesc("[Ljava.lang.String;"),
    ...u32(3),
    ...string("a"),
    TC_NULL,
    ...ref(2), // the string "a": handles are 0 array desc, 1 array, 2 "a"
  ]);
});

Deno.test("skipSerializedObject() follows superclass data before the class's own", () => {
  const base = classDesc("Base", { fields: [{ type: "S", name: "s" }] });
  assertSkipsExactly([
    TC_OBJECT,
    ...classDesc("Derived", { fields: [{ type: "B", name: "b" }], superDesc: base }),
    ...u16(0x1234), // Base.s
    0x56, // Derived.b
  ]);
});

Deno.test("skipSerializedObject() resolves a class descriptor given by reference", () => {
  assertSkipsExactly([
    TC_ARRAY,
    ...classDesc("[Ljava.lang.Object;"),
    ...u32(2),
    TC_OBJECT,
    ...classDesc("Point", { fields: [{ type: "I", name: "x" }] }),
    ...u32(1),
    TC_OBJECT,
    ...ref(2), // Point's descriptor: handles are 0 array desc, 1 array, 2 Point desc, 3 object
    ...u32(2),
  ]);
});

Deno.test("skipSerializedObject() skips the block data written by a writeObject method", () => {
  assertSkipsExactly([
    TC_OBJECT,
    ...classDesc("Custom", { flags: SC_SERIALIZABLE | SC_WRITE_METHOD }),
    TC_BLOCKDATA,
    3,
    9,
    9,
    9,
    ...string("extra"),
    TC_ENDBLOCKDATA,
  ]);
});

Deno.test("skipSerializedObject() skips enums, classes and class annotations", () => {
  assertSkipsExactly([TC_ENUM, ...classDesc("Color"), ...string("RED")]);
  assertSkipsExactly([TC_CLASS, ...classDesc("java.lang.Integer")]);
  assertSkipsExactly([
    TC_OBJECT,
    ...classDesc("Annotated", { annotation: [TC_BLOCKDATA, 1, 0] }),
  ]);
});

Deno.test("skipSerializedObject() refuses a stream without the Java serialization header", () => {
  assert.throws(
    () => skip([TC_NULL], 32, [0xac, 0xed, 0x00, 0x04]),
    { message: "bad_jks: secret-key entry is not a Java serialization stream" },
  );
  assert.throws(() => skip([TC_NULL], 32, [0x00, 0x00, 0x00, 0x05]), /not a Java serialization/);
});

Deno.test("skipSerializedObject() refuses an unknown tag", () => {
  assert.throws(() => skip([0x01]), { message: "bad_jks: unsupported serialization tag 1" });
});

Deno.test("skipSerializedObject() refuses a reference to a handle not yet assigned", () => {
  assert.throws(() => skip(ref(0)), { message: "bad_jks: dangling serialized reference" });
  assert.throws(() => skip([TC_REFERENCE, ...u32(5)]), /dangling serialized reference/);
});

Deno.test("skipSerializedObject() refuses a string longer than 4 GiB", () => {
  assert.throws(
    () => skip([TC_LONGSTRING, ...u32(1), ...u32(0)]),
    { message: "bad_jks: serialized string too long" },
  );
});

Deno.test("skipSerializedObject() refuses externalizable objects", () => {
  assert.throws(
    () => skip([TC_OBJECT, ...classDesc("Ext", { flags: SC_EXTERNALIZABLE })]),
    { message: "bad_jks: externalizable objects are not supported" },
  );
});

Deno.test("skipSerializedObject() refuses an object whose descriptor is a string", () => {
  assert.throws(
    () => skip([TC_OBJECT, ...string("x")]),
    { message: "bad_jks: malformed serialized class descriptor" },
  );
});

Deno.test("skipSerializedObject() refuses a field of an unknown type code", () => {
  assert.throws(
    () => skip([TC_OBJECT, ...classDesc("Bad", { fields: [{ type: "Q", name: "q" }] })]),
    { message: "bad_jks: malformed serialized field" },
  );
});

Deno.test("skipSerializedObject() stops at maxDepth on deeply nested arrays", () => {
  const nested = (depth: number): Bytes =>
    depth === 0
      ? [TC_NULL]
      : [TC_ARRAY, ...classDesc("[Ljava.lang.Object;"), ...u32(1), ...nested(depth - 1)];
  assertSkipsExactly(nested(5), 8);
  assert.throws(() => skip(nested(40), 8), /nested too deeply/);
});

Deno.test("skipSerializedObject() stops on a class that is its own superclass", () => {
  // The descriptor takes handle 0 before its super is read, so the super can refer to it.
  assert.throws(
    () => skip([TC_OBJECT, ...classDesc("Loop", { superDesc: ref(0) })], 16),
    { message: "bad_jks: serialized class hierarchy too deep" },
  );
});

Deno.test("skipSerializedObject() fails through the reader on a truncated stream", () => {
  const whole = [TC_OBJECT, ...classDesc("P", { fields: [{ type: "J", name: "x" }] }), 0, 0];
  const reader = new DataReader(
    new Uint8Array([...HEADER, ...whole]),
    (detail) => new Error(`bad_jks: ${detail}`),
  );
  assert.throws(() => skipSerializedObject(reader, 32), /bad_jks: truncated at offset \d+/);
});

Deno.test("skipSerializedObject() never loops or overflows on random input", () => {
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff;
  for (let i = 0; i < 500; i++) {
    const tags = [0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x7a, 0x7c, 0x7e];
    const body = Array.from(
      { length: 64 },
      (_, j) => j % 3 === 0 ? tags[next() % tags.length]! : next(),
    );
    try {
      skip(body, 8);
    } catch (err) {
      assert.match((err as Error).message, /^bad_jks: /);
    }
  }
});
