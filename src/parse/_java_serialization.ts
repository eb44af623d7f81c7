/**
 * Skips one Java-serialized object. JCEKS stores each secret-key entry as a
 * fresh `ObjectOutputStream` holding a `SealedObjectForKeyProtector`, and the
 * format records no length for it: only walking the stream tells where the
 * next entry (and the integrity hash) starts. Nothing is decoded or
 * instantiated; the walk follows the Object Serialization Stream Protocol
 * (https://docs.oracle.com/en/java/javase/17/docs/specs/serialization/protocol.html).
 *
 * Every step consumes input and nesting is capped (`maxDepth`, from
 * `DecodeLimits.maxNestingDepth`), so hostile streams end in a reader failure
 * rather than a loop or a stack overflow.
 *
 * @module
 */
import type { DataReader } from "./_data_reader.ts";

const STREAM_MAGIC = 0xaced;
const STREAM_VERSION = 5;
const TC_NULL = 0x70;
const TC_REFERENCE = 0x71;
const TC_CLASSDESC = 0x72;
const TC_OBJECT = 0x73;
const TC_STRING = 0x74;
const TC_ARRAY = 0x75;
const TC_CLASS = 0x76;
const TC_BLOCKDATA = 0x77;
const TC_ENDBLOCKDATA = 0x78;
const TC_BLOCKDATALONG = 0x7a;
const TC_LONGSTRING = 0x7c;
const TC_ENUM = 0x7e;
const BASE_HANDLE = 0x7e0000;
const SC_WRITE_METHOD = 0x01;
const SC_EXTERNALIZABLE = 0x04;
const PRIMITIVE_SIZES: Readonly<Record<string, number>> = {
  B: 1,
  C: 2,
  D: 8,
  F: 4,
  I: 4,
  J: 8,
  S: 2,
  Z: 1,
};

interface ClassDesc {
  readonly name: string;
  flags: number;
  /** Field type codes, in stream order. */
  readonly fields: string[];
  superDesc: ClassDesc | null;
}

/** Advances `reader` past one serialization stream (header and one object). */
export function skipSerializedObject(reader: DataReader, maxDepth: number): void {
  if (reader.u16() !== STREAM_MAGIC || reader.u16() !== STREAM_VERSION) {
    throw reader.fail("secret-key entry is not a Java serialization stream");
  }
  new Walker(reader, maxDepth).content(reader.u8(), 0);
}

class Walker {
  readonly #reader: DataReader;
  readonly #maxDepth: number;
  /** Objects by handle; only class descriptors are ever looked up again. */
  readonly #handles: (ClassDesc | undefined)[] = [];

  constructor(reader: DataReader, maxDepth: number) {
    this.#reader = reader;
    this.#maxDepth = maxDepth;
  }

  content(tag: number, depth: number): void {
    const r = this.#reader;
    if (depth > this.#maxDepth) throw r.fail("serialized object nested too deeply");
    switch (tag) {
      case TC_NULL:
        return;
      case TC_REFERENCE:
        this.#lookup(r.u32());
        return;
      case TC_CLASSDESC:
        this.#newClassDesc(depth);
        return;
      case TC_OBJECT: {
        const desc = this.#classDesc(depth, false);
        this.#handles.push(undefined);
        this.#classData(desc!, depth);
        return;
      }
      case TC_STRING:
        r.skip(r.u16());
        this.#handles.push(undefined);
        return;
      case TC_LONGSTRING:
        if (r.u32() !== 0) throw r.fail("serialized string too long");
        r.skip(r.u32());
        this.#handles.push(undefined);
        return;
      case TC_ARRAY: {
        const desc = this.#classDesc(depth, false)!;
        this.#handles.push(undefined);
        const length = r.u32();
        const width = PRIMITIVE_SIZES[desc.name.charAt(1)];
        if (width !== undefined) r.skip(length * width);
        else for (let i = 0; i < length; i++) this.content(r.u8(), depth + 1);
        return;
      }
      case TC_ENUM:
        this.#classDesc(depth, false);
        this.#handles.push(undefined);
        this.content(r.u8(), depth + 1);
        return;
      case TC_CLASS:
        this.#classDesc(depth, false);
        this.#handles.push(undefined);
        return;
      case TC_BLOCKDATA:
        r.skip(r.u8());
        return;
      case TC_BLOCKDATALONG:
        r.skip(r.u32());
        return;
      default:
        throw r.fail(`unsupported serialization tag ${tag}`);
    }
  }

  /** A class descriptor, inline or by reference; null only where the protocol allows it. */
  #classDesc(depth: number, nullable: boolean): ClassDesc | null {
    const r = this.#reader;
    const tag = r.u8();
    if (tag === TC_NULL && nullable) return null;
    if (tag === TC_CLASSDESC) return this.#newClassDesc(depth + 1);
    if (tag === TC_REFERENCE) {
      const desc = this.#lookup(r.u32());
      if (desc !== undefined) return desc;
    }
    throw r.fail("malformed serialized class descriptor");
  }

  #newClassDesc(depth: number): ClassDesc {
    const r = this.#reader;
    if (depth > this.#maxDepth) throw r.fail("serialized object nested too deeply");
    const desc: ClassDesc = { name: r.utf(), flags: 0, fields: [], superDesc: null };
    r.skip(8); // serialVersionUID
    this.#handles.push(desc);
    desc.flags = r.u8();
    for (let count = r.u16(); count > 0; count--) {
      const type = String.fromCharCode(r.u8());
      r.skip(r.u16()); // field name
      if (type === "L" || type === "[") this.content(r.u8(), depth + 1); // field class name
      else if (PRIMITIVE_SIZES[type] === undefined) throw r.fail("malformed serialized field");
      desc.fields.push(type);
    }
    this.#annotation(depth);
    desc.superDesc = this.#classDesc(depth, true);
    return desc;
  }

  #classData(desc: ClassDesc, depth: number): void {
    const r = this.#reader;
    // Superclass data comes first. References can make the chain cyclic, hence the cap.
    const chain: ClassDesc[] = [];
    for (let d: ClassDesc | null = desc; d !== null; d = d.superDesc) {
      if (chain.length === this.#maxDepth) throw r.fail("serialized class hierarchy too deep");
      chain.unshift(d);
    }
    for (const d of chain) {
      if (d.flags & SC_EXTERNALIZABLE) throw r.fail("externalizable objects are not supported");
      for (const type of d.fields) {
        const width = PRIMITIVE_SIZES[type];
        if (width !== undefined) r.skip(width);
        else this.content(r.u8(), depth + 1);
      }
      if (d.flags & SC_WRITE_METHOD) this.#annotation(depth);
    }
  }

  /** Class or object annotation: contents up to TC_ENDBLOCKDATA. */
  #annotation(depth: number): void {
    for (let tag = this.#reader.u8(); tag !== TC_ENDBLOCKDATA; tag = this.#reader.u8()) {
      this.content(tag, depth + 1);
    }
  }

  #lookup(handle: number): ClassDesc | undefined {
    const index = handle - BASE_HANDLE;
    if (index < 0 || index >= this.#handles.length) {
      throw this.#reader.fail("dangling serialized reference");
    }
    return this.#handles[index];
  }
}
