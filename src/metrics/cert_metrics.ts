import { createHash } from "node:crypto";
import type { Bundle, Certificate, Crl, Item } from "../bundle.ts";
import type { Store } from "../store.ts";
import { ByteWriter, encode } from "./_byte_writer.ts";
import {
  type CertMetricsOptions,
  type CollisionPolicy,
  families,
  type Family,
} from "./families.ts";
import type { LabelSchema } from "./labels.ts";

export type { CertMetricsOptions, CollisionPolicy } from "./families.ts";

/**
 * A label set `{labels} ` as encoded pieces, written one after the other. The
 * pieces are shared: `{` + location labels per bundle, the certificate part per
 * certificate (intermediates repeat across thousands of bundles), the rest per
 * bundle. As JS strings, 10,000 label sets and the garbage of building them grew
 * the heap by ~50 MB; as one byte array per row they still cost 6 MB at peak.
 */
type LabelSet = readonly Uint8Array[];

interface Row {
  readonly item: Item;
  readonly bundle: Bundle;
  readonly sourceKey: string;
  readonly labels: LabelSet;
  readonly hash: number;
  /** `{labels,discriminator="…"} `, built the first time this row collides. */
  disc?: LabelSet;
}

/** The last render, reused while no bundle changed and no value can have moved. */
interface Rendered {
  readonly rows: Row[];
  /** Per row: the label set to write, or undefined when `never` dropped it. */
  readonly labels: (LabelSet | undefined)[];
  readonly collisions: number;
  readonly body: Uint8Array;
  /** The body holds until `now` passes this (seconds): the next time a 0/1 value flips. */
  readonly validUntil: number;
}

const CLOSE = encode("} ");

/**
 * Renders the per-certificate families straight from the store into the
 * Prometheus text format. A generic client registry costs ~80 ms and ~80 MB for
 * 10,000 series; here label sets are encoded once per bundle (certificate and
 * location parts each cached), a body is one exactly sized buffer, and it is
 * reused while the store holds the same bundles and no value can have flipped.
 */
export class CertMetrics {
  readonly #schema: LabelSchema;
  readonly #families: Family[];
  readonly #headers: Uint8Array[];
  readonly #collision: CollisionPolicy;
  readonly #discLength: number;
  readonly #rows = new WeakMap<Bundle, Row[]>();
  /** The certificate part of label sets: intermediates repeat across thousands of bundles. */
  readonly #certParts = new WeakMap<Certificate | Crl, Uint8Array>();
  #errorPart: Uint8Array | undefined;
  #last: Rendered | undefined;
  /** Number of colliding series resolved at the last render (status page). */
  lastCollisions = 0;

  constructor(schema: LabelSchema, options: CertMetricsOptions = {}) {
    this.#schema = schema;
    this.#collision = options.collision ?? "auto";
    this.#discLength = options.discriminatorLength ?? 8;
    this.#families = families(options);
    this.#headers = this.#families.map((f) =>
      encode(`# HELP ${f.name} ${f.help}\n# TYPE ${f.name} gauge\n`)
    );
  }

  /** Renders every family as text; `now` is in seconds since the epoch. */
  render(store: Store, now: number): string {
    return new TextDecoder().decode(this.renderBytes(store, now));
  }

  /** {@link render} as UTF-8 bytes: what `/metrics` sends. */
  renderBytes(store: Store, now: number): Uint8Array {
    const rows: Row[] = [];
    for (const source of store.sources()) {
      const sourceKey = `${source.id.kind}/${source.id.name}`;
      for (const bundle of source.bundles.values()) {
        for (const row of this.#rowsOf(bundle, sourceKey)) rows.push(row);
      }
    }
    const last = this.#last;
    const same = last !== undefined && sameRows(last.rows, rows);
    if (same && now <= last.validUntil) return last.body;
    const labels = same ? last.labels : this.#resolveCollisions(rows);
    if (same) this.lastCollisions = last.collisions;
    const body = this.#write(rows, labels, now);
    this.#last = {
      rows,
      labels,
      collisions: this.lastCollisions,
      body,
      validUntil: this.#validUntil(rows, now),
    };
    return body;
  }

  /** Two passes, so the body is one exactly sized allocation (doubling left ~30 MB of dead buffers). */
  #write(
    rows: readonly Row[],
    labels: readonly (LabelSet | undefined)[],
    now: number,
  ): Uint8Array {
    const values: (string | undefined)[][] = [];
    let size = 0;
    this.#families.forEach((family, f) => {
      const column: (string | undefined)[] = new Array(rows.length);
      let any = false;
      for (let i = 0; i < rows.length; i++) {
        const l = labels[i];
        const v = l === undefined ? undefined : family.value(rows[i]!.item, now);
        if (v === undefined) continue;
        const text = `${v}\n`;
        column[i] = text;
        size += family.name.length + setLength(l!) + text.length;
        any = true;
      }
      // Like client_golang, a family without samples is left out altogether.
      if (any) size += this.#headers[f]!.length;
      values.push(any ? column : []);
    });
    const out = new ByteWriter(size);
    this.#families.forEach((family, f) => {
      const column = values[f]!;
      if (column.length === 0) return;
      out.bytes(this.#headers[f]!);
      for (let i = 0; i < rows.length; i++) {
        const v = column[i];
        if (v === undefined) continue;
        out.ascii(family.name);
        for (const piece of labels[i]!) out.bytes(piece);
        out.ascii(v);
      }
    });
    return out.result();
  }

  /** Until when (seconds) a render at `now` stays exact. */
  #validUntil(rows: readonly Row[], now: number): number {
    if (this.#families.some((f) => f.ticking)) return -Infinity;
    let until = Infinity;
    for (const family of this.#families) {
      if (!family.flipsAt) continue;
      for (const { item } of rows) {
        const t = family.flipsAt(item);
        if (t !== undefined && t >= now && t < until) until = t;
      }
    }
    return until;
  }

  #rowsOf(bundle: Bundle, sourceKey: string): Row[] {
    let rows = this.#rows.get(bundle);
    if (rows) return rows;
    const { head, tail } = this.#schema.locationLabels(bundle);
    const headBytes = encode(`{${head}`);
    const tailBytes = encode(`${tail}} `);
    rows = bundle.items.map((item) => {
      const labels = [headBytes, this.#itemPart(item), tailBytes];
      return { item, bundle, sourceKey, labels, hash: fnv1a(labels) };
    });
    this.#rows.set(bundle, rows);
    return rows;
  }

  #itemPart(item: Item): Uint8Array {
    if (item.kind === "error") {
      return this.#errorPart ??= encode(this.#schema.certLabels(undefined));
    }
    const key = item.kind === "cert" ? item.cert : item.crl;
    let part = this.#certParts.get(key);
    if (!part) {
      part = encode(
        item.kind === "cert"
          ? this.#schema.certLabels(item.cert)
          : this.#schema.crlLabels(item.crl),
      );
      this.#certParts.set(key, part);
    }
    return part;
  }

  /**
   * Two series with one label set would make Prometheus reject the whole
   * scrape, so collisions are resolved here: `auto` adds a `discriminator`
   * only to the colliding series, `always` to all, `never` keeps the first.
   */
  #resolveCollisions(rows: readonly Row[]): (LabelSet | undefined)[] {
    if (this.#collision === "always") return rows.map((r) => this.#discSet(r));
    // Group by hash, then compare bytes: equal hashes of different label sets are not collisions.
    const groups = new Map<number, Row[]>();
    for (const r of rows) {
      const g = groups.get(r.hash);
      if (g) g.push(r);
      else groups.set(r.hash, [r]);
    }
    const colliding = new Set<Row>();
    const dropped = new Set<Row>();
    for (const group of groups.values()) {
      if (group.length < 2) continue;
      for (let i = 0; i < group.length; i++) {
        for (let j = 0; j < i; j++) {
          if (!sameBytes(concat(group[i]!.labels), concat(group[j]!.labels))) continue;
          colliding.add(group[i]!).add(group[j]!);
          // Groups keep row order: a row equal to an earlier one is what `never` drops.
          dropped.add(group[i]!);
          break;
        }
      }
    }
    this.lastCollisions = colliding.size;
    return rows.map((r) => {
      if (!colliding.has(r)) return r.labels;
      if (this.#collision === "never") return dropped.has(r) ? undefined : r.labels;
      return this.#discSet(r);
    });
  }

  #discSet(row: Row): LabelSet {
    if (row.disc) return row.disc;
    const item = row.item;
    const identity = `${
      identityOf(item)
    }\u0000${row.sourceKey}\u0000${row.bundle.ref}\u0000${item.index}`;
    const disc = createHash("sha256").update(identity).digest("hex").slice(0, this.#discLength);
    const plain = concat(row.labels);
    row.disc = [
      plain.subarray(0, plain.length - CLOSE.length),
      encode(`,discriminator="${disc}"} `),
    ];
    return row.disc;
  }
}

function identityOf(item: Item): string {
  if (item.kind === "cert") return item.cert.fingerprint;
  if (item.kind === "crl") return item.crl.fingerprint;
  return item.reason;
}

/** 32-bit FNV-1a over a label set's pieces: a cheap bucket key. */
function fnv1a(set: LabelSet): number {
  let h = 0x811c9dc5;
  for (const bytes of set) {
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  }
  return h >>> 0;
}

function setLength(set: LabelSet): number {
  let n = 0;
  for (const piece of set) n += piece.length;
  return n;
}

function concat(set: LabelSet): Uint8Array {
  const out = new Uint8Array(setLength(set));
  let at = 0;
  for (const piece of set) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameRows(a: readonly Row[], b: readonly Row[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
