/**
 * Label names made from object label keys (`secret_label_app_kubernetes_io_name`).
 * Shared by the sources that fill such columns and the label schema that
 * declares them, so both always agree on a name.
 */

/**
 * Turns an object label key into a label-name suffix, as upstream does:
 * characters outside `[A-Za-z0-9_]` become `_`, a leading digit gets a `_`.
 */
export function sanitizeLabelName(name: string): string {
  let out = name.replace(/[^A-Za-z0-9_]/g, "_");
  if (out === "") out = "_";
  if (/^[0-9]/.test(out)) out = "_" + out;
  return out;
}

/** The column that exposes object label `key` under `prefix` (`secret_label`). */
export function exposedLabelName(prefix: string, key: string): string {
  return `${prefix}_${sanitizeLabelName(key)}`;
}
