import type { Bundle, Certificate, Crl, DistinguishedName, DnField } from "../bundle.ts";
import { DN_FIELDS } from "../bundle.ts";
import type { LabelColumn } from "../sources/kind.ts";
import { locationColumns } from "../sources/kinds.ts";

/** Escapes a label value for the Prometheus text format. */
export function escapeLabelValue(value: string): string {
  if (!/[\\"\n]/.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
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

  /** The location part of a label set, shared by every item of a bundle. */
  locationLabels(bundle: Bundle): { head: string; tail: string } {
    const l = bundle.location;
    let head = "";
    for (const column of this.#location) {
      let value = column.value(l) ?? "";
      if (column.path) value = trimPath(value, this.#trim);
      head += `${column.name}="${escapeLabelValue(value)}",`;
    }
    let tail = "";
    for (const name of this.#extra) {
      tail += `,${name}="${escapeLabelValue(l.extraLabels?.[name] ?? "")}"`;
    }
    return { head, tail };
  }

  /** The CRL part: no serial or subject, the CRL number and the issuer fields. */
  crlLabels(crl: Crl): string {
    let out = `serial_number="",crl_number="${crl.number ?? ""}"`;
    out += dnLabels("issuer", this.#issuer, crl.issuer);
    out += dnLabels("subject", this.#subject, undefined);
    return out;
  }

  /** The certificate part: serial, CRL number and the selected DN fields. */
  certLabels(cert: Certificate | undefined, crlNumber = ""): string {
    let out = `serial_number="${cert ? cert.serial : ""}",crl_number="${crlNumber}"`;
    out += dnLabels("issuer", this.#issuer, cert?.issuer);
    out += dnLabels("subject", this.#subject, cert?.subject);
    return out;
  }
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
