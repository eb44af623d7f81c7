/**
 * Throw-away PKI for TLS tests of the API server and its clients, made with the
 * openssl CLI (the test machines have it; generating X.509 in TypeScript would
 * need a second certificate stack just for tests).
 */

import { leaf, rootCa } from "./openssl_pki.ts";

/** PEM material: a CA, a server certificate for 127.0.0.1 and a client certificate. */
export interface TestPki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** Generates a fresh CA with a server (SAN IP 127.0.0.1) and a client certificate. */
export async function generateTestPki(): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "kube_pki_" });
  try {
    await rootCa(dir, "ca");
    await leaf(dir, "server", "ca", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    await leaf(dir, "client", "ca", "extendedKeyUsage=clientAuth\n");
    const read = (f: string) => Deno.readTextFile(`${dir}/${f}`);
    return {
      ca: await read("ca.crt"),
      serverCert: await read("server.crt"),
      serverKey: await read("server.key"),
      clientCert: await read("client.crt"),
      clientKey: await read("client.key"),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
