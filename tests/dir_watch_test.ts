import assert from "node:assert/strict";
import { Logger } from "../src/log.ts";
import { sourceSpec } from "../src/config/load.ts";
import { DirWatch } from "../src/sources/dir_watch.ts";
import { FileSource } from "../src/sources/file.ts";
import { Store } from "../src/store.ts";
import { makeCert } from "./testing/certs.ts";
import { summary } from "./testing/items.ts";
import { sourceDeps } from "./testing/sources.ts";

const quiet = new Logger({ write: () => {} });

/** Polls `fn` until true: change notifications arrive asynchronously. */
async function until(fn: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("DirWatch lets quiet polls skip and wants a scan after a change, a missing dir's creation or N polls", async () => {
  const root = await Deno.makeTempDir({ prefix: "x509-watch-" });
  const watch = new DirWatch({ logger: quiet, fullScanEvery: 4 });
  try {
    assert.equal(watch.mustScan(), true, "nothing watched yet");
    watch.scanned([root, `${root}/later`]); // later/ does not exist: its parent is watched
    assert.equal(watch.mustScan(), true, "a new watch rescans once");
    watch.scanned([root, `${root}/later`]);
    assert.deepEqual([watch.mustScan(), watch.mustScan(), watch.mustScan()], [false, false, false]);
    assert.equal(watch.mustScan(), true, "every 4th poll is a full scan");

    watch.scanned([root, `${root}/later`]);
    assert.equal(watch.mustScan(), false);
    await Deno.writeTextFile(`${root}/a.pem`, "x");
    await until(() => watch.mustScan(), "the write to be noticed");

    watch.scanned([root, `${root}/later`]);
    await Deno.mkdir(`${root}/later`);
    await until(() => watch.mustScan(), "the missing directory to appear");
  } finally {
    watch.close();
  }
});

Deno.test({
  name: "DirWatch falls back to scanning every poll when it cannot watch",
  permissions: { read: false },
  fn() {
    const lines: string[] = [];
    const watch = new DirWatch({ logger: new Logger({ write: (l) => void lines.push(l) }) });
    watch.scanned(["/etc/ssl/certs"]); // no read permission: no watch can be set up
    assert.deepEqual([watch.mustScan(), watch.mustScan()], [true, true]);
    watch.scanned([]);
    assert.equal(watch.mustScan(), true);
    assert.equal(lines.filter((l) => l.includes("No change notifications")).length, 1);
  },
});

Deno.test("FileSource with watchChanges skips quiet polls and sees edits, new files and ..data swaps", async () => {
  const [v1, v2, v3, v4] = await Promise.all(
    [1, 2, 3, 4].map((n) => makeCert({ serial: `0${n}` })),
  );
  const root = await Deno.makeTempDir({ prefix: "x509-watch-src-" });
  await Deno.mkdir(`${root}/vol/..2024_01`, { recursive: true });
  await Deno.mkdir(`${root}/vol/..2024_02`);
  await Deno.writeTextFile(`${root}/vol/..2024_01/tls.crt`, v1!.pem);
  await Deno.writeTextFile(`${root}/vol/..2024_02/tls.crt`, v4!.pem);
  await Deno.symlink("..2024_01", `${root}/vol/..data`);
  await Deno.symlink("..data/tls.crt", `${root}/vol/tls.crt`);
  await Deno.mkdir(`${root}/pki`);
  await Deno.writeTextFile(`${root}/pki/a.pem`, v1!.pem);
  const store = new Store();
  const src = new FileSource({
    ...sourceDeps(store),
    spec: sourceSpec({ kind: "file", name: "w", paths: [`${root}/pki/*.pem`, `${root}/vol/*`] }),
  });
  const view = () => {
    const out: Record<string, string[]> = {};
    const bundles = [...store.sources().next().value!.bundles.values()];
    for (const b of bundles.sort((x, y) => x.ref < y.ref ? -1 : 1)) {
      out[b.ref.slice(root.length)] = b.items.map(summary);
    }
    return out;
  };
  /** Polls until the view matches, as the poll loop would, counting full scans. */
  const settle = async (expected: Record<string, string[]>, what: string) => {
    const deadline = Date.now() + 5000;
    while (JSON.stringify(view()) !== JSON.stringify(expected)) {
      if (Date.now() > deadline) {
        throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(view())}`);
      }
      await new Promise((r) => setTimeout(r, 10));
      await src.sync();
    }
  };
  try {
    await src.sync();
    await src.sync(); // the rescan after the watch was set up
    const scans = src.scans;
    for (let i = 0; i < 5; i++) await src.sync();
    assert.equal(src.scans, scans, "quiet polls do not scan");
    assert.deepEqual(view(), { "/pki/a.pem": ["1"], "/vol/tls.crt": ["1"] });

    await Deno.writeTextFile(`${root}/pki/a.pem`, v2!.pem); // in place: same inode
    await settle({ "/pki/a.pem": ["2"], "/vol/tls.crt": ["1"] }, "an in-place edit");
    await Deno.writeTextFile(`${root}/pki/b.pem`, v3!.pem);
    await settle(
      { "/pki/a.pem": ["2"], "/pki/b.pem": ["3"], "/vol/tls.crt": ["1"] },
      "a new file",
    );
    await Deno.symlink("..2024_02", `${root}/vol/..data_tmp`);
    await Deno.rename(`${root}/vol/..data_tmp`, `${root}/vol/..data`);
    await settle(
      { "/pki/a.pem": ["2"], "/pki/b.pem": ["3"], "/vol/tls.crt": ["4"] },
      "a ..data swap",
    );
  } finally {
    const ac = new AbortController();
    ac.abort();
    await src.run(ac.signal); // closes the watch
  }
});
