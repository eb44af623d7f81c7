/**
 * Generates throwaway PKI for the web config and listener tests with openssl,
 * so no private key is ever committed and nothing expires in the repository.
 */

import { leaf, rootCa } from "../../testing/openssl_pki.ts";

export interface TestPki {
  dir: string;
  /** PEM contents, keyed by file name (`ca.crt`, `server.key`, ...). */
  pem: Record<string, string>;
}

/**
 * In a fresh temp dir: `ca` and an unrelated `rogue` CA; `server` (localhost,
 * 127.0.0.1); `client` signed by `ca` (SAN DNS:scraper.example); `rogue_client`
 * signed by `rogue`.
 */
export async function makeTestPki(): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "x509-web-" });
  await Promise.all([rootCa(dir, "ca"), rootCa(dir, "rogue")]);
  const ext = (san: string, eku: string) => `subjectAltName=${san}\nextendedKeyUsage=${eku}\n`;
  await leaf(dir, "server", "ca", ext("DNS:localhost,IP:127.0.0.1", "serverAuth"));
  await leaf(dir, "client", "ca", ext("DNS:scraper.example", "clientAuth"));
  await leaf(dir, "rogue_client", "rogue", ext("DNS:scraper.example", "clientAuth"));
  const pem: Record<string, string> = {};
  for (const name of ["ca", "rogue", "server", "client", "rogue_client"]) {
    for (const ext of ["crt", "key"]) {
      pem[`${name}.${ext}`] = await Deno.readTextFile(`${dir}/${name}.${ext}`);
    }
  }
  return { dir, pem };
}
