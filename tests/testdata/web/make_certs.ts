/**
 * Generates throwaway PKI for the web config and listener tests with openssl,
 * so no private key is ever committed and nothing expires in the repository.
 */

export interface TestPki {
  dir: string;
  /** PEM contents, keyed by file name (`ca.crt`, `server.key`, ...). */
  pem: Record<string, string>;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** A CA-signed leaf with the given subject, SANs and extended key usage. */
async function leaf(
  dir: string,
  name: string,
  ca: string,
  san: string,
  eku: string,
): Promise<void> {
  await openssl(
    dir,
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${name}`,
  );
  await Deno.writeTextFile(
    `${dir}/${name}.ext`,
    `subjectAltName=${san}\nextendedKeyUsage=${eku}\n`,
  );
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  );
}

async function rootCa(dir: string, name: string): Promise<void> {
  await openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
  );
}

/**
 * In a fresh temp dir: `ca` and an unrelated `rogue` CA; `server` (localhost,
 * 127.0.0.1); `client` signed by `ca` (SAN DNS:scraper.example); `rogue_client`
 * signed by `rogue`.
 */
export async function makeTestPki(): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "x509-web-" });
  await Promise.all([rootCa(dir, "ca"), rootCa(dir, "rogue")]);
  await leaf(dir, "server", "ca", "DNS:localhost,IP:127.0.0.1", "serverAuth");
  await leaf(dir, "client", "ca", "DNS:scraper.example", "clientAuth");
  await leaf(dir, "rogue_client", "rogue", "DNS:scraper.example", "clientAuth");
  const pem: Record<string, string> = {};
  for (const name of ["ca", "rogue", "server", "client", "rogue_client"]) {
    for (const ext of ["crt", "key"]) {
      pem[`${name}.${ext}`] = await Deno.readTextFile(`${dir}/${name}.${ext}`);
    }
  }
  return { dir, pem };
}
