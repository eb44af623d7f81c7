/** The valid inputs the fuzzers mutate: one of each format the exporter decodes. */
import { makeCert, makeCrl } from "../tests/testing/certs.ts";
import { buildJks, keyAndChain, opensslPkcs12, sharedTestPki } from "../tests/testing/keystores.ts";

export interface Corpus {
  readonly pem: Uint8Array;
  readonly der: Uint8Array;
  readonly pkcs12: Uint8Array;
  readonly jks: Uint8Array;
  readonly crl: Uint8Array;
  /** Kubeconfig text with embedded data and a file reference. */
  readonly kubeconfig: string;
}

let made: Promise<Corpus> | undefined;

/** Built once per process (openssl for the PKCS#12, the rest in process). */
export function corpus(): Promise<Corpus> {
  return made ??= build();
}

async function build(): Promise<Corpus> {
  const enc = new TextEncoder();
  const [a, b] = await Promise.all([makeCert({ serial: "0f01" }), makeCert({ serial: "0f02" })]);
  const crl = await makeCrl({ issuer: a, thisUpdate: new Date(), number: 7n, revoked: ["0f02"] });
  const pki = await sharedTestPki();
  const pkcs12 = await opensslPkcs12(pki, "fuzz", [
    ...keyAndChain(pki),
    "-passout",
    "pass:",
    "-iter",
    "2048",
  ]);
  const jks = buildJks([{ kind: "trusted", der: a.der }, { kind: "trusted", der: b.der }], "");
  const kubeconfig = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: c1",
    "  cluster:",
    "    server: https://127.0.0.1:6443",
    `    certificate-authority-data: ${btoa(a.pem)}`,
    "- name: c2",
    "  cluster: { certificate-authority: ca.crt }",
    "users:",
    "- name: u1",
    `  user: { client-certificate-data: ${btoa(b.pem)} }`,
    "contexts: [{ name: x, context: { cluster: c1, user: u1 } }]",
    "current-context: x",
    "",
  ].join("\n");
  return {
    pem: enc.encode(a.pem + b.pem + crl.pem),
    der: a.der,
    pkcs12,
    jks,
    crl: crl.der,
    kubeconfig,
  };
}
