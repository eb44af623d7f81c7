/**
 * Throw-away PKI made with the openssl CLI, for the TLS tests (listeners, the
 * test API server): no private key is ever committed, nothing expires in the
 * repository. Files land in `dir` as `<name>.crt` / `<name>.key`.
 */

export async function openssl(dir: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

/** A self-signed P-256 CA valid for two days. */
export async function rootCa(dir: string, name: string): Promise<void> {
  await openssl(
    dir,
    "req",
    "-x509",
    ...EC,
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

/** A P-256 leaf signed by `ca`, with extensions in openssl's extfile syntax. */
export async function leaf(dir: string, name: string, ca: string, ext: string): Promise<void> {
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
    ...[
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.crt`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
    ],
    ...["-days", "2", "-out", `${name}.crt`, "-extfile", `${name}.ext`],
  );
}
