import { summary } from "./testing/items.ts";
import assert from "node:assert/strict";
import { sourceSpec } from "../src/config/load.ts";
import { FileSource } from "../src/sources/file.ts";
import { mapPath, scanFiles } from "../src/sources/file_scan.ts";
import { Store } from "../src/store.ts";
import { makeCert, serialDecimal } from "./testing/certs.ts";
import { sourceDeps } from "./testing/sources.ts";

async function tempTree(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "x509-file-" });
  for (const [rel, content] of Object.entries(files)) {
    await Deno.mkdir(`${root}/${rel}`.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeTextFile(`${root}/${rel}`, content);
  }
  return root;
}

function source(options: Record<string, unknown> & { paths: string[] }) {
  const store = new Store();
  // Synced by hand here: no change notifications to wait for.
  const spec = { ...sourceSpec({ kind: "file", name: "t", ...options }), watchChanges: false };
  const src = new FileSource({ ...sourceDeps(store), spec });
  const view = () => {
    const out: Record<string, string[]> = {};
    for (const b of store.sources().next().value!.bundles.values()) {
      out[b.ref] = b.items.map(summary);
    }
    return out;
  };
  return { store, src, view, state: () => store.sources().next().value! };
}

Deno.test("FileSource expands globs, ** and directories, and applies excludes", async () => {
  const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map((n) => makeCert({ serial: `0${n}` })));
  const root = await tempTree({
    "pki/a.crt": a!.pem,
    "pki/sub/deep/b.crt": b!.pem,
    "pki/sub/skip.crt": c!.pem,
    "dir/d.pem": d!.pem,
    "dir/nested/ignored.pem": d!.pem,
  });
  const { src, view } = source({
    paths: [`${root}/pki/**/*.crt`, `${root}/dir`],
    excludePaths: ["**/skip.crt"],
  });
  await src.sync();
  assert.deepEqual(view(), {
    [`${root}/pki/a.crt`]: ["1"],
    [`${root}/pki/sub/deep/b.crt`]: ["2"],
    [`${root}/dir/d.pem`]: ["4"],
  });
});

Deno.test("FileSource drops the series of a file that disappears and picks up a new one", async () => {
  const [a, b] = await Promise.all([makeCert({ serial: "0a" }), makeCert({ serial: "0b" })]);
  const root = await tempTree({ "a.pem": a.pem });
  const { src, view } = source({ paths: [`${root}/*.pem`] });
  await src.sync();
  await Deno.remove(`${root}/a.pem`);
  await Deno.writeTextFile(`${root}/b.pem`, b.pem);
  await src.sync();
  assert.deepEqual(view(), { [`${root}/b.pem`]: ["11"] });
});

Deno.test("FileSource skips unchanged files and re-reads rotated ones", async () => {
  const [a, b] = await Promise.all([makeCert({ serial: "01" }), makeCert({ serial: "02" })]);
  const root = await tempTree({ "a.pem": a.pem });
  const { src, store, view } = source({ paths: [`${root}/a.pem`] });
  await src.sync();
  const before = store.get(src.id, `${root}/a.pem`);
  await src.sync();
  assert.equal(store.get(src.id, `${root}/a.pem`), before, "unchanged file is not re-read");
  await Deno.writeTextFile(`${root}/a.pem.tmp`, b.pem);
  await Deno.rename(`${root}/a.pem.tmp`, `${root}/a.pem`); // atomic replace: new inode
  await src.sync();
  assert.deepEqual(view(), { [`${root}/a.pem`]: ["2"] });
});

Deno.test("FileSource follows a certbot-style symlink swap", async () => {
  const [v1, v2] = await Promise.all([makeCert({ serial: "01" }), makeCert({ serial: "02" })]);
  const root = await tempTree({ "archive/cert1.pem": v1.pem, "archive/cert2.pem": v2.pem });
  await Deno.mkdir(`${root}/live`);
  await Deno.symlink("../archive/cert1.pem", `${root}/live/cert.pem`);
  const { src, view } = source({ paths: [`${root}/live/cert.pem`] });
  await src.sync();
  assert.deepEqual(view(), { [`${root}/live/cert.pem`]: ["1"] });
  await Deno.remove(`${root}/live/cert.pem`);
  await Deno.symlink("../archive/cert2.pem", `${root}/live/cert.pem`);
  await src.sync();
  assert.deepEqual(view(), { [`${root}/live/cert.pem`]: ["2"] });
});

Deno.test("FileSource follows a Kubernetes ..data atomic-writer swap and skips the timestamped dirs", async () => {
  const [v1, v2] = await Promise.all([makeCert({ serial: "01" }), makeCert({ serial: "02" })]);
  const root = await tempTree({ "..2024_01/tls.crt": v1.pem, "..2024_02/tls.crt": v2.pem });
  await Deno.symlink("..2024_01", `${root}/..data`);
  await Deno.symlink("..data/tls.crt", `${root}/tls.crt`);
  const { src, view } = source({ paths: [`${root}/*`] });
  await src.sync();
  assert.deepEqual(view(), { [`${root}/tls.crt`]: ["1"] });
  await Deno.symlink("..2024_02", `${root}/..data_tmp`);
  await Deno.rename(`${root}/..data_tmp`, `${root}/..data`);
  await src.sync();
  assert.deepEqual(view(), { [`${root}/tls.crt`]: ["2"] });
});

Deno.test("FileSource reports broken symlinks, missing files, bad PEM and walk errors with their reasons", async () => {
  const good = await makeCert({ serial: "05" });
  const root = await tempTree({
    "good.pem": good.pem,
    "bad.pem": "-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n",
  });
  await Deno.symlink(`${root}/nowhere.pem`, `${root}/broken.pem`);
  const { src, view, state } = source({ paths: [`${root}/*.pem`, `${root}/missing.pem`] });
  await src.sync();
  assert.deepEqual(view(), {
    [`${root}/bad.pem`]: ["bad_pem"],
    [`${root}/broken.pem`]: ["broken_symlink"],
    [`${root}/good.pem`]: ["5"],
    [`${root}/missing.pem`]: ["not_found"],
  });
  const errors = state().errors;
  assert.equal(errors.get("bad_pem"), 1);
  assert.equal(errors.get("broken_symlink"), 1);
  await src.sync();
  // As upstream re-emits walk and read errors each cycle: increase() stays > 0 while it lasts.
  assert.equal(state().errors.get("broken_symlink"), 2, "a persisting problem counts every poll");
  assert.equal(state().errors.get("bad_pem"), 1, "an unchanged file is not parsed again");
  assert.equal(state().up, true);
});

Deno.test("pathMappings translate absolute symlink targets and contain them", async () => {
  const cert = await makeCert({ serial: "09" });
  // The "host" lives under root/host; kubelet's link says /var/lib/kubelet/pki/...
  const root = await tempTree({
    "host/var/lib/kubelet/pki/kubelet-client-2024.pem": cert.pem,
    "host/etc/secret.pem": cert.pem,
  });
  await Deno.symlink(
    "/var/lib/kubelet/pki/kubelet-client-2024.pem",
    `${root}/host/var/lib/kubelet/pki/current.pem`,
  );
  await Deno.symlink("/etc/secret.pem", `${root}/host/var/lib/kubelet/pki/escape.pem`);
  const { src, view } = source({
    paths: [
      `${root}/host/var/lib/kubelet/pki/current.pem`,
      `${root}/host/var/lib/kubelet/pki/escape.pem`,
    ],
    pathMappings: [{ from: "/var/lib/kubelet", to: `${root}/host/var/lib/kubelet` }, {
      from: "/",
      to: `${root}/host/unused`,
    }],
  });
  await src.sync();
  assert.deepEqual(view(), {
    [`${root}/host/var/lib/kubelet/pki/current.pem`]: ["9"],
    [`${root}/host/var/lib/kubelet/pki/escape.pem`]: ["broken_symlink"],
  });
  assert.equal(
    mapPath("/var/lib/kubelet/pki/x", [{ from: "/", to: "/mnt/host" }, {
      from: "/var/lib",
      to: "/data",
    }]),
    "/data/kubelet/pki/x",
  );
});

Deno.test("a symlink whose target leaves every mapped path is out_of_scope_symlink", async () => {
  const cert = await makeCert();
  const root = await tempTree({ "host/pki/real.pem": cert.pem, "outside/secret.pem": cert.pem });
  await Deno.symlink(`${root}/outside/secret.pem`, `${root}/host/pki/link.pem`);
  const { src, view } = source({
    paths: [`${root}/host/pki/link.pem`],
    pathMappings: [{ from: "/pki", to: `${root}/host/pki` }],
  });
  await src.sync();
  assert.deepEqual(view(), { [`${root}/host/pki/link.pem`]: ["out_of_scope_symlink"] });
});

Deno.test("followSymlinks: false skips links; followSymlinkDirs lets ** enter linked dirs without looping", async () => {
  const cert = await makeCert({ serial: "0c" });
  const root = await tempTree({ "real/a.pem": cert.pem });
  await Deno.symlink(`${root}/real/a.pem`, `${root}/link.pem`);
  await Deno.symlink(`${root}/real`, `${root}/linkdir`);
  await Deno.symlink(root, `${root}/real/loop`);
  const noLinks = await scanFiles({ paths: [`${root}/*.pem`], followSymlinks: false });
  assert.deepEqual(noLinks.files, []);
  const plain = await scanFiles({ paths: [`${root}/**/*.pem`] });
  // The link and its target are one file: read once, under the first path found.
  assert.deepEqual(plain.files.map((f) => f.path), [`${root}/link.pem`]);
  assert.deepEqual(plain.duplicates, [{ path: `${root}/real/a.pem`, of: `${root}/link.pem` }]);
  const linked = await scanFiles({ paths: [`${root}/**/*.pem`], followSymlinkDirs: true });
  assert.equal(linked.files.length, 1);
  assert.ok(linked.duplicates.length <= 3, `bounded walk: ${linked.duplicates.length}`);
});

Deno.test("FileSource multi-certificate bundles keep order, and DER files parse with formats [pem, der]", async () => {
  const [a, b] = await Promise.all([makeCert({ serial: "0d" }), makeCert({ serial: "0e" })]);
  const root = await tempTree({ "chain.pem": a.pem + b.pem });
  await Deno.writeFile(`${root}/c.der`, a.der);
  const { src, view } = source({
    paths: [`${root}/chain.pem`, `${root}/c.der`],
    formats: ["pem", "der"],
  });
  await src.sync();
  assert.deepEqual(view(), {
    [`${root}/c.der`]: [serialDecimal("0d")],
    [`${root}/chain.pem`]: ["13", "14"],
  });
});

Deno.test("FileSource reports an I/O error while reading as read_failed", async () => {
  // /proc/self/mem is a regular file whose plain read fails with EIO: a real read failure.
  const { src, view } = source({ paths: ["/proc/self/mem"] });
  await src.sync();
  assert.deepEqual(view(), { "/proc/self/mem": ["read_failed"] });
});

Deno.test("FileSource stores bundles in scan order, a large file (read asynchronously) included", async () => {
  const dir = await Deno.makeTempDir({ prefix: "x509-ahead-" });
  const cert = await makeCert({ serial: "0c" });
  const names: string[] = [];
  for (let i = 0; i < 30; i++) {
    const name = `f${String(i).padStart(2, "0")}.pem`;
    names.push(name);
    // One file past the size read in synchronous calls, the others small.
    await Deno.writeTextFile(`${dir}/${name}`, i === 7 ? cert.pem.repeat(300) : cert.pem);
  }
  const store = new Store();
  const spec = sourceSpec({ kind: "file", name: "t", paths: [`${dir}/*.pem`] });
  await new FileSource({ ...sourceDeps(store), spec }).sync();
  const refs = [...store.sources().next().value!.bundles.keys()];
  assert.deepEqual(refs, names.map((n) => `${dir}/${n}`));
  assert.equal(store.sources().next().value!.bundles.get(`${dir}/f07.pem`)!.items.length, 300);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a scan of 10,000 files and their reads hand the event loop turns as they go", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const pem = (await makeCert()).pem;
    for (let d = 0; d < 10; d++) {
      await Deno.mkdir(`${dir}/d${d}`);
      for (let i = 0; i < 1000; i++) await Deno.writeTextFile(`${dir}/d${d}/${i}.pem`, pem);
    }
    // The walk, the lstats and the small reads are synchronous calls: without slices, a
    // timer could not fire until the scan was over (one stretch of ~380 ms at 20,000 files).
    const turns = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 1);
      try {
        await new Promise((r) => setTimeout(r, 5));
        const before = ticks;
        const value = await work();
        return [value, ticks - before];
      } finally {
        clearInterval(timer);
      }
    };
    const [scan, scanTurns] = await turns(() => scanFiles({ paths: [`${dir}/**/*.pem`] }));
    assert.equal(scan.files.length, 10_000);
    assert.ok(scanTurns >= 2, `the timer fired ${scanTurns} times during the scan`);
    const store = new Store();
    const spec = sourceSpec({ kind: "file", name: "t", paths: [`${dir}/**/*.pem`] });
    const source = new FileSource({ ...sourceDeps(store), spec });
    const [, syncTurns] = await turns(() => source.sync());
    assert.equal(store.sources().next().value!.bundles.size, 10_000);
    assert.ok(syncTurns >= 5, `the timer fired ${syncTurns} times during the sync`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
