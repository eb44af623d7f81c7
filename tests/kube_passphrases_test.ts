import assert from "node:assert/strict";
import type { KubeClient } from "../src/kube/client.ts";
import type { ObjectPassphrases } from "../src/sources/kinds/kubernetes.ts";
import { cachedSecretReader, objectPassphrases } from "../src/sources/kube_passphrases.ts";

const b64 = (text: string) => new TextEncoder().encode(text).toBase64();
const obj = (data: Record<string, string> = {}, binaryData?: Record<string, string>) => ({
  metadata: { namespace: "prod", name: "keystore" },
  data,
  ...(binaryData ? { binaryData } : {}),
});

/** A reader that records its lookups and answers from `values` (`ns/name/key`). */
function reader(values: Record<string, string> = {}) {
  const calls: string[] = [];
  const read = (ns: string, name: string, key: string) => {
    calls.push(`${ns}/${name}/${key}`);
    return Promise.resolve(values[`${ns}/${name}/${key}`]);
  };
  return { calls, read };
}

Deno.test("objectPassphrases() tries the empty passphrase when nothing is configured", async () => {
  assert.deepEqual(await objectPassphrases(obj(), undefined, undefined, true), [""]);
  assert.deepEqual(await objectPassphrases(obj(), {}, undefined, false), [""]);
});

Deno.test("objectPassphrases() reads a Secret's sibling key as base64, trimming the newline", async () => {
  const list = await objectPassphrases(
    obj({ password: b64("s3cret pass\n") }),
    { passphraseKey: "password" },
    undefined,
    true,
  );
  assert.deepEqual(list, ["s3cret pass"]);
});

Deno.test("objectPassphrases() reads a ConfigMap's sibling key as text, else from binaryData", async () => {
  const config: ObjectPassphrases = { passphraseKey: "pw" };
  assert.deepEqual(await objectPassphrases(obj({ pw: "plain\r\n" }), config, undefined, false), [
    "plain",
  ]);
  assert.deepEqual(
    await objectPassphrases(obj({}, { pw: b64("binary") }), config, undefined, false),
    ["binary"],
  );
});

Deno.test("objectPassphrases() falls back to the empty passphrase when the sibling key is missing", async () => {
  const list = await objectPassphrases(obj(), { passphraseKey: "password" }, undefined, true);
  assert.deepEqual(list, [""]);
});

Deno.test("objectPassphrases() ignores a Secret sibling key that is not base64", async () => {
  const list = await objectPassphrases(
    obj({ password: "%%%" }),
    { passphraseKey: "password" },
    undefined,
    true,
  );
  assert.deepEqual(list, [""]);
});

Deno.test("objectPassphrases() reads another Secret, in the object's namespace unless one is given", async () => {
  const r = reader({ "prod/pw/key": "from-ref\n", "vault/pw/key": "other-ns" });
  const own = await objectPassphrases(
    obj(),
    { passphraseSecretRef: { name: "pw", key: "key" } },
    r.read,
    true,
  );
  assert.deepEqual(own, ["from-ref"]);
  const other = await objectPassphrases(
    obj(),
    { passphraseSecretRef: { namespace: "vault", name: "pw", key: "key" } },
    r.read,
    true,
  );
  assert.deepEqual(other, ["other-ns"]);
  assert.deepEqual(r.calls, ["prod/pw/key", "vault/pw/key"]);
});

Deno.test("objectPassphrases() tries sibling key, Secret ref, inline passphrase, then the empty one", async () => {
  const r = reader({ "prod/pw/key": "second" });
  const list = await objectPassphrases(
    obj({ password: b64("first") }),
    {
      passphraseKey: "password",
      passphraseSecretRef: { name: "pw", key: "key" },
      passphrase: "third",
      tryEmptyPassphrase: true,
    },
    r.read,
    true,
  );
  assert.deepEqual(list, ["first", "second", "third", ""]);
});

Deno.test("objectPassphrases() skips the Secret ref when there is no reader to follow it", async () => {
  const list = await objectPassphrases(
    obj(),
    { passphraseSecretRef: { name: "pw", key: "key" }, passphrase: "inline" },
    undefined,
    true,
  );
  assert.deepEqual(list, ["inline"]);
});

/** A KubeClient answering GETs from `secrets` (`ns/name` -> data), counting requests. */
function fakeClient(secrets: Record<string, Record<string, string>>) {
  const paths: string[] = [];
  const client = {
    get(path: string) {
      paths.push(path);
      const m = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/.exec(path);
      const data = m && secrets[`${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`];
      if (!data) return Promise.reject(new Error("404 Not Found"));
      return Promise.resolve(new Response(JSON.stringify({ data })));
    },
  } as unknown as KubeClient;
  return { client, paths };
}

Deno.test("cachedSecretReader() decodes the key's base64 and GETs each Secret once per TTL", async () => {
  const { client, paths } = fakeClient({ "prod/pw": { a: b64("alpha"), b: b64("bravo") } });
  const read = cachedSecretReader(client);
  assert.equal(await read("prod", "pw", "a"), "alpha");
  assert.equal(await read("prod", "pw", "b"), "bravo");
  assert.equal(await read("prod", "pw", "c"), undefined);
  assert.deepEqual(paths, ["/api/v1/namespaces/prod/secrets/pw"]);
});

Deno.test("cachedSecretReader() GETs again once the TTL has passed", async () => {
  const { client, paths } = fakeClient({ "prod/pw": { a: b64("alpha") } });
  const read = cachedSecretReader(client, -1);
  await read("prod", "pw", "a");
  await read("prod", "pw", "a");
  assert.equal(paths.length, 2);
});

Deno.test("cachedSecretReader() answers undefined when the GET fails, and caches that too", async () => {
  const { client, paths } = fakeClient({});
  const read = cachedSecretReader(client);
  assert.equal(await read("prod", "missing", "a"), undefined);
  assert.equal(await read("prod", "missing", "a"), undefined);
  assert.equal(paths.length, 1);
});

Deno.test("cachedSecretReader() encodes namespace and name into the request path", async () => {
  const { client, paths } = fakeClient({ "a b/c/d": { k: b64("v") } });
  assert.equal(await cachedSecretReader(client)("a b", "c/d", "k"), "v");
  assert.deepEqual(paths, ["/api/v1/namespaces/a%20b/secrets/c%2Fd"]);
});
