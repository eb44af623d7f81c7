/**
 * Run with --expose-gc by render_retention_test.ts: renders a store (text, then
 * gzip), deletes its bundle, collects, and prints whether the bundle is gone.
 */
import { CertMetrics } from "../../src/metrics/cert_metrics.ts";
import { LabelSchema } from "../../src/metrics/labels.ts";
import { Store } from "../../src/store.ts";
import type { Bundle, Certificate } from "../../src/bundle.ts";

const gc = (globalThis as unknown as { gc: () => void }).gc;
const FILE = { kind: "file", name: "pki" };
const cert = (serial: string): Certificate => ({
  fingerprint: serial.padStart(64, "0"),
  serial,
  notBefore: 0,
  notAfter: 2_000_000_000,
  issuer: { CN: "CA" },
  subject: { CN: `leaf ${serial}` },
  sans: [],
  keyType: "ecdsa",
  keyBits: 256,
  signatureAlgorithm: "ECDSA-SHA256",
  isCa: false,
  hasBasicConstraints: false,
});

const store = new Store();
const metrics = new CertMetrics(new LabelSchema());
store.observe(metrics);
let bundle: Bundle | undefined = {
  ref: "/pki/big.pem",
  location: { filepath: "/pki/big.pem" },
  items: Array.from({ length: 200 }, (_, i) => ({ kind: "cert", index: i, cert: cert(String(i)) })),
};
const ref = new WeakRef(bundle);
store.put(FILE, bundle);
bundle = undefined;
const mode = Deno.args[0] ?? "plain";
// A scrape: the body is read to the end, then let go, as the server does.
async function scrape(): Promise<void> {
  const body = await metrics.renderBody(store, 1_800_000_000, mode === "gzip");
  if (body.plain) { for await (const _ of body.plain) { /* the response read it all */ } }
}
await scrape();
store.delete(FILE, "/pki/big.pem");
await new Promise((r) => setTimeout(r, 0));
gc();
await new Promise((r) => setTimeout(r, 0));
gc();
console.log(ref.deref() === undefined ? "collected" : "retained");
