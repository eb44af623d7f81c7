import assert from "node:assert/strict";
import { sourceSpec } from "../src/config/load.ts";
import { renderSourceMetrics } from "../src/metrics/source_metrics.ts";
import { FileSource } from "../src/sources/file.ts";
import { trimPassphrase } from "../src/sources/passphrases.ts";
import { Store } from "../src/store.ts";
import { summary } from "./testing/items.ts";
import { sourceDeps } from "./testing/sources.ts";
import {
  keyAndChain,
  keytoolTruststore,
  opensslPkcs12,
  sharedTestPki,
} from "./testing/keystores.ts";

/** Serial numbers of a PEM certificate, read by openssl: the independent reference. */
async function serialOf(pem: string): Promise<string> {
  const out = await new Deno.Command("openssl", { args: ["x509", "-in", pem, "-noout", "-serial"] })
    .output();
  return BigInt("0x" + new TextDecoder().decode(out.stdout).trim().split("=")[1]).toString();
}

function source(options: Record<string, unknown> & { paths: string[] }) {
  const store = new Store();
  const spec = { ...sourceSpec({ kind: "file", name: "ks", ...options }), watchChanges: false };
  const src = new FileSource({ ...sourceDeps(store), spec });
  const view = () => {
    const out: Record<string, string[]> = {};
    for (const b of store.sources().next().value!.bundles.values()) {
      out[b.ref.slice(b.ref.lastIndexOf("/") + 1)] = b.items.map(summary);
    }
    return out;
  };
  return { store, src, view };
}

Deno.test("FileSource opens PKCS#12 with a passphrase file, counts a wrong one, and re-opens after the file rotates", async () => {
  const p = await sharedTestPki();
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(
    `${dir}/app.p12`,
    await opensslPkcs12(p, "app", [...keyAndChain(p), "-passout", "pass:right one"]),
  );
  await Deno.writeTextFile(`${dir}/pass`, "wrong\n");
  const { src, store, view } = source({
    paths: [`${dir}/*.p12`],
    formats: ["pem", "pkcs12"],
    pkcs12: { passphraseFile: `${dir}/pass` },
  });
  await src.sync();
  assert.deepEqual(view(), { "app.p12": ["bad_passphrase"] });
  const text = renderSourceMetrics(store, { pkcs12: new Set(["ks"]) });
  assert.match(text, /^x509_pkcs12_passphrase_failures_total\{source_name="ks"\} 1$/m);
  await Deno.writeTextFile(`${dir}/pass`, "right one\r\n"); // only trailing CR/LF is trimmed
  await src.sync();
  const expected = await Promise.all([p.leaf.pem, p.intermediate.pem, p.rootRsa.pem].map(serialOf));
  assert.deepEqual(view()["app.p12"]?.sort(), expected.sort());
});

Deno.test("FileSource reads a -legacy PKCS#12 and an empty-password one with tryEmptyPassphrase", async () => {
  const p = await sharedTestPki();
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(
    `${dir}/legacy.p12`,
    await opensslPkcs12(p, "legacy", [...keyAndChain(p), "-legacy", "-passout", "pass:pw"]),
  );
  await Deno.writeFile(
    `${dir}/empty.p12`,
    await opensslPkcs12(p, "empty", ["-in", p.leaf.pem, "-nokeys", "-passout", "pass:"]),
  );
  const { src, view } = source({
    paths: [`${dir}/*.p12`],
    formats: ["pkcs12"],
    pkcs12: { passphrase: "pw", tryEmptyPassphrase: true },
  });
  await src.sync();
  const v = view();
  assert.equal(v["legacy.p12"]?.length, 3);
  assert.deepEqual(v["empty.p12"], [await serialOf(p.leaf.pem)]);
});

Deno.test("FileSource reads JKS truststores and reports garbage keystores with their own reason", async () => {
  const p = await sharedTestPki();
  const dir = await Deno.makeTempDir();
  await keytoolTruststore(p, `${dir}/trust.jks`, "JKS", "changeit");
  await Deno.writeFile(`${dir}/garbage.jks`, new Uint8Array([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 9]));
  await Deno.writeFile(`${dir}/garbage.p12`, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x03]));
  const { src, view } = source({
    paths: [`${dir}/trust.jks`, `${dir}/garbage.jks`, `${dir}/garbage.p12`],
    formats: ["pkcs12", "jks"],
    jks: { passphrase: "changeit" },
  });
  await src.sync();
  const v = view();
  const cas = await Promise.all([p.rootRsa.pem, p.rootEc.pem, p.intermediate.pem].map(serialOf));
  assert.deepEqual(v["trust.jks"]?.sort(), cas.sort());
  assert.deepEqual(v["garbage.jks"], ["bad_jks"]);
  assert.deepEqual(v["garbage.p12"], ["bad_pkcs12"]);
});

Deno.test("trimPassphrase() trims trailing CR/LF only", () => {
  assert.equal(trimPassphrase(" pass word \r\n\n"), " pass word ");
  assert.equal(trimPassphrase("\npw"), "\npw");
});
