import assert from "node:assert/strict";
import { ScanReader } from "../src/sources/_scan_reader.ts";

/** A directory of files 0..n-1 holding "file i", plus the extra files given. */
async function tree(n: number): Promise<{ dir: string; paths: string[] }> {
  const dir = await Deno.makeTempDir();
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    const path = `${dir}/${i}.pem`;
    await Deno.writeTextFile(path, `file ${i}`);
    paths.push(path);
  }
  return { dir, paths };
}

async function mkfifo(path: string): Promise<void> {
  const out = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.ok(out.success, "mkfifo");
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Reads every target in turn, as the scan does: bytes as text, or the error's name. */
async function readAll(reader: ScanReader, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    try {
      out.push(text(await reader.read(i)));
    } catch (err) {
      out.push((err as Error).name);
    }
  }
  return out;
}

for (const mode of ["synchronous", "reading ahead"] as const) {
  Deno.test(`ScanReader (${mode}): bytes in scan order; missing, FIFO, too large and large files as readRegularFile`, async () => {
    const { dir, paths } = await tree(20);
    try {
      await mkfifo(`${dir}/fifo`);
      await Deno.writeTextFile(`${dir}/big`, "x".repeat(300 * 1024));
      await Deno.writeTextFile(`${dir}/huge`, "x".repeat(2 * 1024 * 1024));
      const targets = [...paths];
      // Past the first ten: read ahead in the second mode (it turns after eight slow reads).
      targets.splice(12, 0, `${dir}/missing`, `${dir}/fifo`, `${dir}/big`, `${dir}/huge`);
      const reader = new ScanReader(targets, 1024 * 1024, mode === "synchronous" ? Infinity : -1);
      const got = await readAll(reader, targets.length);
      assert.equal(reader.readsAhead, mode === "reading ahead");
      const want = paths.map((_, i) => `file ${i}`);
      // The FIFO is refused without being opened (an open would wait for a writer).
      want.splice(
        12,
        0,
        "NotFound",
        "NotRegularFileError",
        "x".repeat(300 * 1024),
        "FileTooLargeError",
      );
      assert.deepEqual(got, want);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("ScanReader turns to reading ahead only after eight slow reads net of fast ones", async () => {
  const { dir, paths } = await tree(10);
  try {
    const slow = new ScanReader(paths, 1024, -1);
    for (let i = 0; i < 7; i++) await slow.read(i);
    assert.equal(slow.readsAhead, false);
    await slow.read(7);
    assert.equal(slow.readsAhead, true);
    assert.equal(text(await slow.read(8)), "file 8");
    const fast = new ScanReader(paths, 1024, Infinity);
    assert.deepEqual(await readAll(fast, 10), paths.map((_, i) => `file ${i}`));
    assert.equal(fast.readsAhead, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
