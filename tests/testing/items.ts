import type { Item } from "../../src/bundle.ts";

/** A bundle item as a short string: the serial of a certificate, `crl:<number>`, or the error reason. */
export function summary(item: Item): string {
  if (item.kind === "cert") return item.cert.serial;
  if (item.kind === "crl") return `crl:${item.crl.number ?? ""}`;
  return item.reason;
}
