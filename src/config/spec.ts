/**
 * A tiny declarative schema language for the config file. Decoding walks the
 * YAML syntax tree (not plain JS values) so every error can name the file,
 * line, column and key path at fault.
 */
export type Spec =
  | {
    readonly t: "string";
    readonly default?: string;
    readonly enum?: readonly string[];
    readonly path?: boolean;
    readonly nonEmpty?: boolean;
  }
  | { readonly t: "bool"; readonly default?: boolean }
  | { readonly t: "int"; readonly default?: number; readonly min?: number; readonly max?: number }
  | { readonly t: "number"; readonly default?: number; readonly min?: number }
  | { readonly t: "duration"; readonly default?: number; readonly min?: number }
  | {
    readonly t: "list";
    readonly of: Spec;
    readonly default?: readonly unknown[];
    readonly minItems?: number;
  }
  | ObjectSpec
  | {
    readonly t: "tagged";
    readonly tag: string;
    readonly variants: Readonly<Record<string, ObjectSpec>>;
  };

export interface ObjectSpec {
  readonly t: "object";
  readonly fields: Readonly<Record<string, Spec>>;
  readonly required?: readonly string[];
  /** Keys upstream accepts but this exporter does not act on: accepted with a warning. */
  readonly ignored?: Readonly<Record<string, string>>;
  /** When absent from the file, leave the field undefined instead of filling defaults. */
  readonly optional?: boolean;
  /** Free-form string map (e.g. HTTP headers): any key, values are strings. */
  readonly anyKeys?: boolean;
}

export const str = (o: Omit<Extract<Spec, { t: "string" }>, "t"> = {}): Spec => ({
  t: "string",
  ...o,
});
export const bool = (
  d?: boolean,
): Spec => (d === undefined ? { t: "bool" } : { t: "bool", default: d });
export const int = (o: Omit<Extract<Spec, { t: "int" }>, "t"> = {}): Spec => ({ t: "int", ...o });
export const num = (o: Omit<Extract<Spec, { t: "number" }>, "t"> = {}): Spec => ({
  t: "number",
  ...o,
});
export const duration = (d?: number, min?: number): Spec => ({
  t: "duration",
  ...(d === undefined ? {} : { default: d }),
  ...(min === undefined ? {} : { min }),
});
export const list = (
  of: Spec,
  o: { default?: readonly unknown[]; minItems?: number } = {},
): Spec => ({
  t: "list",
  of,
  ...o,
});
export const obj = (
  fields: Record<string, Spec>,
  o: Omit<ObjectSpec, "t" | "fields"> = {},
): ObjectSpec => ({ t: "object", fields, ...o });
