/**
 * Issue 15, the sources' side of hostile input: each test is one row of the issue that
 * failed before (a 700 MiB file, /dev/zero, FIFOs, a parse that starved the event loop).
 */
import assert from "node:assert/strict";
import { sourceSpec } from "../src/config/load.ts";
import { FileTooLargeError, NotRegularFileError, readRegularFile } from "../src/fs.ts";
import { decodeItems, decodeItemsAsync } from "../src/parse/decode.ts";
import { CertificateCache } from "../src/parse/cert_cache.ts";
import { FileSource } from "../src/sources/file.ts";
import { KubeconfigSource } from "../src/sources/kubeconfig.ts";
import { Store } from "../src/store.ts";
import { makeCert } from "./testing/certs.ts";
import { summary } from "./testing/items.ts";
import { measureStall } from "./testing/stall.ts";
import { DEFAULT_LIMITS, sourceDeps } from "./testing/sources.ts";

function view(store: Store): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const b of store.sources().next().value!.bundles.values()) out[b.ref] = b.items.map(summary);
  return out;
}

/** Rejects if `promise` takes longer than `ms`: a blocked open would otherwise hang the test. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let id: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    id = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(id));
}

async function mkfifo(path: string): Promise<void> {
  const { success } = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.ok(success, "mkfifo");
}

Deno.test("readRegularFile() refuses a FIFO, a device and an oversized file without reading them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "x509-hostile-" });
  await mkfifo(`${dir}/fifo`);
  await Deno.writeTextFile(`${dir}/small`, "0123456789");
  await within(
    2000,
    assert.rejects(readRegularFile(`${dir}/fifo`, 100), NotRegularFileError),
    "FIFO",
  );
  await within(
    2000,
    assert.rejects(readRegularFile("/dev/zero", 100), NotRegularFileError),
    "zero",
  );
  await assert.rejects(readRegularFile(`${dir}/small`, 9), FileTooLargeError);
  assert.equal(new TextDecoder().decode(await readRegularFile(`${dir}/small`, 10)), "0123456789");
  await assert.rejects(readRegularFile(`${dir}/missing`, 10), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readRegularFile() holds the limit for what is read, not for what stat said", async () => {
  // procfs files stat as 0 bytes, as a file that grew after the stat would: the bytes count.
  assert.equal((await Deno.stat("/proc/self/status")).size, 0);
  const status = new TextDecoder().decode(await readRegularFile("/proc/self/status", 1 << 20));
  assert.match(status, /^Name:/);
  await assert.rejects(readRegularFile("/proc/self/status", 64), FileTooLargeError);
  // An exact fit is not over the limit.
  const dir = await Deno.makeTempDir({ prefix: "x509-hostile-" });
  await Deno.writeFile(`${dir}/exact`, new Uint8Array(5000).fill(65));
  assert.equal((await readRegularFile(`${dir}/exact`, 5000)).length, 5000);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("FileSource: a 700 MiB sparse file is one too_large item and the good file beside it is exported", async () => {
  const good = await makeCert({ serial: "0a" });
  const dir = await Deno.makeTempDir({ prefix: "x509-hostile-" });
  await Deno.writeTextFile(`${dir}/good.pem`, good.pem);
  using huge = await Deno.open(`${dir}/huge.pem`, { write: true, create: true });
  await huge.truncate(700 * 1024 * 1024);
  const store = new Store();
  const spec = { ...sourceSpec({ kind: "file", name: "t", paths: [`${dir}/*.pem`] }) };
  const src = new FileSource({ ...sourceDeps(store), spec });
  const started = performance.now();
  await src.sync();
  assert.ok(performance.now() - started < 2000, "the big file is not read");
  assert.deepEqual(view(store), {
    [`${dir}/good.pem`]: ["10"],
    [`${dir}/huge.pem`]: ["too_large"],
  });
  const state = store.sources().next().value!;
  assert.equal(state.up, true);
  assert.equal(store.panics.get("source") ?? 0, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("FileSource: a FIFO in a watched directory never blocks a poll, nor the shutdown", async () => {
  const good = await makeCert({ serial: "0b" });
  const dir = await Deno.makeTempDir({ prefix: "x509-hostile-" });
  await Deno.writeTextFile(`${dir}/good.pem`, good.pem);
  await mkfifo(`${dir}/pipe.pem`);
  await mkfifo(`${dir}/named.fifo`);
  const store = new Store();
  // Change notifications on, as by default: the watcher must not open the FIFO either.
  const spec = sourceSpec({
    kind: "file",
    name: "t",
    paths: [`${dir}/*.pem`, `${dir}/named.fifo`],
  });
  const src = new FileSource({ ...sourceDeps(store), spec });
  const ac = new AbortController();
  const running = src.run(ac.signal);
  await within(
    3000,
    (async () => {
      while (!store.sources().next().value!.synced) await new Promise((r) => setTimeout(r, 10));
    })(),
    "first sync",
  );
  // Matched by the glob, it is skipped; named on purpose, it is an error, never an open.
  assert.deepEqual(view(store), {
    [`${dir}/good.pem`]: ["11"],
    [`${dir}/named.fifo`]: ["read_failed"],
  });
  ac.abort();
  await within(3000, running, "shutdown");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("KubeconfigSource: certificate-authority /dev/zero or a FIFO is read_failed at once, the other entries are read", async () => {
  const user = await makeCert({ serial: "0c" });
  const dir = await Deno.makeTempDir({ prefix: "x509-hostile-" });
  await mkfifo(`${dir}/ca.fifo`);
  await Deno.writeTextFile(
    `${dir}/admin.conf`,
    JSON.stringify({
      clusters: [
        { name: "zero", cluster: { "certificate-authority": "/dev/zero" } },
        { name: "fifo", cluster: { "certificate-authority": `${dir}/ca.fifo` } },
      ],
      users: [{ name: "admin", user: { "client-certificate-data": btoa(user.pem) } }],
    }),
  );
  const store = new Store();
  const src = new KubeconfigSource({
    ...sourceDeps(store),
    spec: sourceSpec({ kind: "kubeconfig", name: "kc", paths: [`${dir}/admin.conf`] }),
  });
  await within(3000, src.sync(), "kubeconfig sync");
  const conf = `${dir}/admin.conf`;
  assert.deepEqual(view(store), {
    [`${conf}#cluster/zero`]: ["read_failed"],
    [`${conf}#cluster/fifo`]: ["read_failed"],
    [`${conf}#user/admin`]: ["12"],
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("KubeconfigSource: a kubeconfig over maxInputBytes is too_large, not read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "x509-hostile-" });
  using f = await Deno.open(`${dir}/big.conf`, { write: true, create: true });
  await f.truncate(DEFAULT_LIMITS.maxInputBytes + 1);
  const store = new Store();
  const src = new KubeconfigSource({
    ...sourceDeps(store),
    spec: sourceSpec({ kind: "kubeconfig", name: "kc", paths: [`${dir}/big.conf`] }),
  });
  await src.sync();
  assert.deepEqual(view(store), { [`${dir}/big.conf`]: ["too_large"] });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("decodeItemsAsync() gives the same items as decodeItems() and never holds the event loop 100 ms", async () => {
  const certs = await Promise.all(
    Array.from({ length: 40 }, (_, i) => makeCert({ serial: `7${i}` })),
  );
  // 4,000 certificates and 1,000 broken blocks, 5.4 MiB: under maxInputBytes, over the caps.
  const broken = "-----BEGIN CERTIFICATE-----\nAAAA\n";
  const text = (certs.map((c) => c.pem).join("") + broken.repeat(25)).repeat(100);
  const data = new TextEncoder().encode(text);
  const limits = { ...DEFAULT_LIMITS, maxCertificates: 100_000, maxErrorItems: 100_000 };
  const sync = decodeItems(data, { cache: new CertificateCache(), limits });
  let items: ReturnType<typeof decodeItems> = [];
  const { stallMs: lag } = await measureStall(async () => {
    items = await decodeItemsAsync(data, { cache: new CertificateCache(), limits, sliceMs: 20 });
  });
  assert.deepEqual(items.map(summary), sync.map(summary));
  assert.ok(lag < 100, `event loop held ${lag.toFixed(0)} ms`);
});

Deno.test("FileSource: a non-UTF-8 file name is not_found with why, and the files beside it are exported", async () => {
  const good = await makeCert({ serial: "0b" });
  const dir = await Deno.makeTempDir({ prefix: "x509-hostile-" });
  await Deno.writeTextFile(`${dir}/good.pem`, good.pem);
  // Latin-1 "café.pem": byte 0xE9 alone is not UTF-8. Made by the shell, as Deno cannot.
  const made = await new Deno.Command("sh", {
    args: ["-c", 'cp "$1" "$(printf "%s/caf\\351.pem" "$2")"', "sh", `${dir}/good.pem`, dir],
  }).output();
  assert.ok(made.success);
  const store = new Store();
  const spec = { ...sourceSpec({ kind: "file", name: "t", paths: [`${dir}/*.pem`] }) };
  await new FileSource({ ...sourceDeps(store), spec }).sync();
  const bundles = [...store.sources().next().value!.bundles.values()];
  const lossy = bundles.find((b) => b.ref.includes("\uFFFD"));
  assert.ok(lossy, "the file is reported, not lost");
  const item = lossy.items[0]!;
  assert.ok(item.kind === "error" && item.reason === "not_found");
  assert.match(item.message, /not valid UTF-8.*rename it/);
  assert.ok(bundles.some((b) => b.ref.endsWith("good.pem") && b.items[0]!.kind === "cert"));
  await Deno.remove(dir, { recursive: true });
});
