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
 * A bundle item with its label set pre-encoded as `{labels} ` (everything but a
 * discriminator). Label sets live as bytes, off the JS heap: as strings, 10,000
 * of them and the garbage of building them grew the heap by ~50 MB.
 */
interface Row {
  readonly item: Item;
  readonly bundle: Bundle;
  readonly sourceKey: string;
  readonly bytes: Uint8Array;
  readonly hash: number;
  /** `{labels,discriminator="…"} `, built the first time this row collides. */
  discBytes?: Uint8Array;
}

/** The last render, reused while no bundle changed and no value can have moved. */
interface Rendered {
  readonly rows: Row[];
  /** Per row: the label bytes to write, or undefined when `never` dropped it. */
  readonly labels: (Uint8Array | undefined)[];
  readonly collisions: number;
  readonly body: Uint8Array;
  /** The body holds until `now` passes this (seconds): the next time a 0/1 value flips. */
  readonly validUntil: number;
}

const OPEN = encode("{");
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
    labels: readonly (Uint8Array | undefined)[],
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
        size += family.name.length + l!.length + text.length;
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
        out.bytes(labels[i]!);
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
    const headBytes = encode(head);
    const tailBytes = encode(tail);
    rows = bundle.items.map((item) => {
      const part = this.#itemPart(item);
      const bytes = new Uint8Array(
        OPEN.length + headBytes.length + part.length + tailBytes.length + CLOSE.length,
      );
      let at = 0;
      for (const piece of [OPEN, headBytes, part, tailBytes, CLOSE]) {
        bytes.set(piece, at);
        at += piece.length;
      }
      return { item, bundle, sourceKey, bytes, hash: fnv1a(bytes) };
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
  #resolveCollisions(rows: readonly Row[]): (Uint8Array | undefined)[] {
    if (this.#collision === "always") return rows.map((r) => this.#discBytes(r));
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
          if (!sameBytes(group[i]!.bytes, group[j]!.bytes)) continue;
          colliding.add(group[i]!).add(group[j]!);
          // Groups keep row order: a row equal to an earlier one is what `never` drops.
          dropped.add(group[i]!);
          break;
        }
      }
    }
    this.lastCollisions = colliding.size;
    return rows.map((r) => {
      if (!colliding.has(r)) return r.bytes;
      if (this.#collision === "never") return dropped.has(r) ? undefined : r.bytes;
      return this.#discBytes(r);
    });
  }

  #discBytes(row: Row): Uint8Array {
    if (row.discBytes) return row.discBytes;
    const item = row.item;
    const identity = `${
      identityOf(item)
    }\u0000${row.sourceKey}\u0000${row.bundle.ref}\u0000${item.index}`;
    const disc = createHash("sha256").update(identity).digest("hex").slice(0, this.#discLength);
    const suffix = encode(`,discriminator="${disc}"} `);
    const bytes = new Uint8Array(row.bytes.length - CLOSE.length + suffix.length);
    bytes.set(row.bytes.subarray(0, row.bytes.length - CLOSE.length));
    bytes.set(suffix, row.bytes.length - CLOSE.length);
    row.discBytes = bytes;
    return bytes;
  }
}

function identityOf(item: Item): string {
  if (item.kind === "cert") return item.cert.fingerprint;
  if (item.kind === "crl") return item.crl.fingerprint;
  return item.reason;
}

/** 32-bit FNV-1a: a cheap bucket key for label sets. */
function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
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
