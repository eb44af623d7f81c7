import type { Bundle, Certificate, Crl, DistinguishedName, DnField } from "../bundle.ts";
import { DN_FIELDS } from "../bundle.ts";
import type { LabelColumn } from "../sources/kind.ts";
import { locationColumns } from "../sources/kinds.ts";
import {
  copyShortAscii,
  utf8Bytes,
  utf8Length,
  writeAscii,
  writeBytes,
  writeUtf8,
} from "./_utf8.ts";

/** Escapes a label value for the Prometheus text format. */
export function escapeLabelValue(value: string): string {
  if (!/[\\"\n]/.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Writes {@link escapeLabelValue} of `v` as UTF-8 into `buf` at `at`; returns the end. */
function writeLabelValue(buf: Uint8Array, at: number, v: string): number {
  const end = copyShortAscii(buf, at, v, true);
  return end >= 0 ? end : writeUtf8(buf, at, escapeLabelValue(v));
}

/** Drops the first `n` components of a path, keeping it absolute if it was (upstream semantics). */
export function trimPath(path: string, n: number): string {
  if (n <= 0) return path;
  const abs = path.startsWith("/");
  const parts = path.replace(/^\/+/, "").split("/");
  if (n >= parts.length) return "";
  return (abs ? "/" : "") + parts.slice(n).join("/");
}

export interface LabelSchemaOptions {
  /** @default all of C, ST, L, O, OU, CN */
  readonly subjectFields?: readonly DnField[];
  /** @default all of C, ST, L, O, OU, CN */
  readonly issuerFields?: readonly DnField[];
  /** @default 0 */
  readonly trimPathComponents?: number;
  /** Names of the `secret_label_*` / `configmap_label_*` / `cabundle_label_*` columns. */
  readonly extraLabelNames?: readonly string[];
}

/**
 * The per-certificate label schema, in upstream's column order. Every series
 * carries every column (empty where it does not apply), so the label set of a
 * metric family never depends on which sources happen to be configured.
 */
export class LabelSchema {
  readonly #subject: readonly DnField[];
  readonly #issuer: readonly DnField[];
  readonly #trim: number;
  readonly #extra: readonly string[];
  /** Every source kind's columns: a family's label set never depends on the configured kinds. */
  readonly #location: readonly LabelColumn[];

  constructor(options: LabelSchemaOptions = {}) {
    this.#subject = orderFields(options.subjectFields);
    this.#issuer = orderFields(options.issuerFields);
    this.#trim = options.trimPathComponents ?? 0;
    this.#extra = options.extraLabelNames ?? [];
    this.#location = locationColumns();
  }

  /** Label names in order, without `discriminator`. */
  names(): string[] {
    return [
      ...this.#location.map((c) => c.name),
      "serial_number",
      "crl_number",
      ...this.#issuer.map((f) => `issuer_${f}`),
      ...this.#subject.map((f) => `subject_${f}`),
      ...this.#extra,
    ];
  }

  /**
   * `{` and the location columns of a bundle, as its values and the constant
   * text around them. Most columns are empty for any one bundle (13 of 15 for a
   * file): kept as one string per bundle the head was ~370 bytes, 7 MiB for
   * 20,000 files; its values alone are a few dozen.
   */
  locationHead(bundle: Bundle): LocationHead {
    const l = bundle.location;
    const values: string[] = [];
    let mask = 0;
    for (let i = 0; i < this.#location.length; i++) {
      const column = this.#location[i]!;
      let value = column.value(l) ?? "";
      if (column.path) value = trimPath(value, this.#trim);
      if (value === "") continue;
      values.push(escapeLabelValue(value));
      mask += 2 ** i; // arithmetic, not `1 << i`: exact past 31 columns too
    }
    let shape = this.#locationShapes.get(mask);
    if (!shape) {
      const names = this.#location.map((c) => c.name);
      shape = labelShape(mask, "{", names, (i) => Math.floor(mask / 2 ** i) % 2 === 1, "", ",");
      this.#locationShapes.set(mask, shape);
    }
    // A copy sized to its values: grown by push, the array keeps 17 slots.
    return new LocationHead(shape, values.slice());
  }

  /** Location texts by which columns have a value: a handful (one per source kind, about). */
  readonly #locationShapes = new Map<number, LabelShape>();

  /** The exposed object labels (`secret_label_*`...) after the DN labels, per bundle. */
  locationTail(bundle: Bundle): string {
    const l = bundle.location;
    let tail = "";
    for (const name of this.#extra) {
      tail += `,${name}="${escapeLabelValue(l.extraLabels?.[name] ?? "")}"`;
    }
    return tail;
  }

  /** The CRL part: no serial or subject, the CRL number and the issuer fields. */
  crlLabels(crl: Crl): string {
    let out = `serial_number="",crl_number="${crl.number ?? ""}"`;
    out += dnLabels("issuer", this.#issuer, crl.issuer);
    out += dnLabels("subject", this.#subject, undefined);
    return out;
  }

  /** The certificate part: serial, an empty CRL number and the selected DN fields. */
  certLabels(cert: Certificate | undefined): string {
    let out = `serial_number="${cert ? cert.serial : ""}",crl_number=""`;
    out += dnLabels("issuer", this.#issuer, cert?.issuer);
    out += dnLabels("subject", this.#subject, cert?.subject);
    return out;
  }

  /**
   * {@link certLabels} of `cert` written into `buf` at `at` (which must have
   * room for it); returns the end. Made from the certificate's
   * own fields at each render, never kept: as one string per certificate it was
   * ~230 bytes a certificate, 22 MiB at 100,000. The issuer's part is kept once
   * per issuer, which thousands of certificates share.
   */
  writeCertLabels(buf: Uint8Array, at: number, cert: Certificate): number {
    at = writeBytes(buf, at, SERIAL);
    at = writeAscii(buf, at, cert.serial);
    at = writeBytes(buf, at, this.#issuerPart(cert.issuer).encoded);
    const dn = cert.subject;
    const shape = this.#subjectShape(dn);
    at = writeBytes(buf, at, shape.bytes[0]!);
    for (let i = 0; i < shape.fields.length; i++) {
      at = writeLabelValue(buf, at, dn[shape.fields[i]!]!);
      at = writeBytes(buf, at, shape.bytes[i + 1]!);
    }
    return at;
  }

  /** UTF-8 length of {@link certLabels} of `cert`, from its pieces (no text is made). */
  certLabelsLength(cert: Certificate): number {
    const dn = cert.subject;
    const shape = this.#subjectShape(dn);
    let n = SERIAL.length + cert.serial.length + this.#issuerPart(cert.issuer).encoded.length +
      shape.length;
    // Indexed loops here and below: without TurboFan, for...of allocates per element.
    for (let i = 0; i < shape.fields.length; i++) {
      n += utf8Length(escapeLabelValue(dn[shape.fields[i]!]!));
    }
    return n;
  }

  /**
   * `h` folded with what tells certificate parts apart: the serial, the issuer
   * part's own hash and the subject's values, not their ~230 characters of text.
   * Equal parts hash equal; so do some different ones, which the caller compares
   * in full. (A certificate's part never equals a CRL's or an error's, whose serial is empty.)
   */
  hashCert(cert: Certificate, h: number): number {
    h = fnv1a(h, cert.serial);
    h = Math.imul(h ^ this.#issuerPart(cert.issuer).hash, FNV_PRIME);
    const dn = cert.subject;
    const shape = this.#subjectShape(dn);
    h = Math.imul(h ^ shape.id, FNV_PRIME);
    for (let i = 0; i < shape.fields.length; i++) h = fnv1a(h, dn[shape.fields[i]!]!);
    return h;
  }

  /** `",crl_number=""` and the issuer labels, once per issuer Name (they are shared objects). */
  readonly #issuerParts = new WeakMap<DistinguishedName, IssuerPart>();

  #issuerPart(dn: DistinguishedName): IssuerPart {
    let part = this.#issuerParts.get(dn);
    if (part === undefined) {
      const text = `",crl_number=""${dnLabels("issuer", this.#issuer, dn)}`;
      part = { encoded: utf8Bytes(text), hash: fnv1a(FNV_OFFSET, text) };
      this.#issuerParts.set(dn, part);
    }
    return part;
  }

  /** Subject label texts by which selected fields a Name has (a bit each): at most 64. */
  readonly #shapes = new Map<number, SubjectShape>();

  #subjectShape(dn: DistinguishedName): SubjectShape {
    let mask = 0;
    for (let i = 0; i < this.#subject.length; i++) {
      if (dn[this.#subject[i]!] !== undefined) mask |= 1 << i;
    }
    let shape = this.#shapes.get(mask);
    if (!shape) {
      const fields = this.#subject.filter((_, i) => (mask & (1 << i)) !== 0);
      const names = this.#subject.map((f) => `subject_${f}`);
      shape = { ...labelShape(mask, "", names, (i) => (mask & (1 << i)) !== 0, ",", ""), fields };
      this.#shapes.set(mask, shape);
    }
    return shape;
  }
}

/**
 * The constant text of a run of labels when the same ones have a value: what
 * comes before the first value, between each two and after the last (one more
 * than the values), as strings and as bytes copied in one call each. ASCII.
 */
interface LabelShape {
  /** Which labels have a value (a bit each, as a number: there may be more than 31). */
  readonly id: number;
  readonly texts: readonly string[];
  readonly bytes: readonly Uint8Array[];
  /** Length of the constant text, all of it. */
  readonly length: number;
}

/**
 * The shape of labels `names` (in order) where `has(i)` tells which have a value:
 * `start`, then each label as `${before}name="value"${after}` (`""` when empty).
 */
function labelShape(
  id: number,
  start: string,
  names: readonly string[],
  has: (i: number) => boolean,
  before: string,
  after: string,
): LabelShape {
  const texts: string[] = [];
  let text = start;
  names.forEach((name, i) => {
    if (!has(i)) text += `${before}${name}=""${after}`;
    else {
      texts.push(`${text}${before}${name}="`);
      text = `"${after}`;
    }
  });
  texts.push(text);
  return {
    id,
    texts,
    bytes: texts.map(utf8Bytes),
    length: texts.reduce((n, t) => n + t.length, 0),
  };
}

/** `{` and a bundle's location labels: its escaped values, and the shape's text around them. */
export class LocationHead {
  readonly #shape: LabelShape;
  readonly #values: readonly string[];

  constructor(shape: LabelShape, values: readonly string[]) {
    this.#shape = shape;
    this.#values = values;
  }

  /** Writes the head into `buf` at `at`, which must have room for it; returns the end. */
  write(buf: Uint8Array, at: number): number {
    const between = this.#shape.bytes;
    at = writeBytes(buf, at, between[0]!);
    for (let i = 0; i < this.#values.length; i++) {
      at = writeUtf8(buf, at, this.#values[i]!);
      at = writeBytes(buf, at, between[i + 1]!);
    }
    return at;
  }

  /** UTF-8 length of the head. */
  bytes(): number {
    let n = this.#shape.length;
    for (let i = 0; i < this.#values.length; i++) n += utf8Length(this.#values[i]!);
    return n;
  }

  /** `h` folded with what tells heads apart: their columns and values (see {@link fnv1a}). */
  hash(h: number): number {
    h = Math.imul(h ^ this.#shape.id, FNV_PRIME);
    for (let i = 0; i < this.#values.length; i++) h = fnv1a(h, this.#values[i]!);
    return h;
  }

  /** The head as one string (collisions, tests). */
  text(): string {
    const between = this.#shape.texts;
    let out = between[0]!;
    for (let i = 0; i < this.#values.length; i++) out += this.#values[i]! + between[i + 1]!;
    return out;
  }
}

/** The certificate part's first label, up to its value (the serial is ASCII digits). */
const SERIAL = utf8Bytes('serial_number="');

/** The subject labels of Names with the same fields present, and which fields those are. */
interface SubjectShape extends LabelShape {
  readonly fields: readonly DnField[];
}

/**
 * A certificate part's issuer labels (after the serial), as UTF-8 and their hash:
 * constant per issuer, so copied in one call like the other constant text.
 */
interface IssuerPart {
  readonly encoded: Uint8Array;
  readonly hash: number;
}

/** FNV-1a's offset basis and prime. */
export const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** `h` folded with the UTF-16 code units of `s` (FNV-1a): a cheap bucket key, not a digest. */
export function fnv1a(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

function dnLabels(
  prefix: string,
  fields: readonly DnField[],
  dn: DistinguishedName | undefined,
): string {
  let out = "";
  for (const f of fields) out += `,${prefix}_${f}="${escapeLabelValue(dn?.[f] ?? "")}"`;
  return out;
}

function orderFields(fields: readonly DnField[] | undefined): readonly DnField[] {
  // An empty list is no DN label at all: upstream drops every label of a list naming none.
  if (!fields) return DN_FIELDS;
  return DN_FIELDS.filter((f) => fields.includes(f));
}
