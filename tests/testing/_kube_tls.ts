/**
 * Throw-away PKI for TLS tests of the API server and its clients, made with the
 * openssl CLI (the test machines have it; generating X.509 in TypeScript would
 * need a second certificate stack just for tests).
 */

/** PEM material: a CA, a server certificate for 127.0.0.1 and a client certificate. */
export interface TestPki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

async function openssl(cwd: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function leaf(dir: string, name: string, ext: string): Promise<void> {
  await openssl(
    dir,
    "req",
    ...EC,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${name}`,
  );
  await Deno.writeTextFile(`${dir}/${name}.ext`, ext);
  await openssl(
    dir,
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-out",
    `${name}.crt`,
    "-extfile",
    `${name}.ext`,
  );
}

/** Generates a fresh CA with a server (SAN IP 127.0.0.1) and a client certificate. */
export async function generateTestPki(): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "kube_pki_" });
  try {
    await openssl(
      dir,
      "req",
      "-x509",
      ...EC,
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-subj",
      "/CN=test-ca",
      "-days",
      "2",
    );
    await leaf(dir, "server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    await leaf(dir, "client", "extendedKeyUsage=clientAuth\n");
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
