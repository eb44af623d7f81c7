import assert from "node:assert/strict";
import { crc32, crc32Combine, deflate, gzipMember, storedBlocks } from "../src/metrics/gzip.ts";
import { acceptsGzip } from "../src/server/routes.ts";

const enc = new TextEncoder();

function randomText(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    // Mostly repetitive text, as a /metrics body, with some noise.
    out[i] = i % 17 < 12 ? 0x61 + (i % 7) : x >>> 24;
  }
  return out;
}

async function gunzip(chunks: Uint8Array[]): Promise<Uint8Array> {
  const stream = ReadableStream.from<BufferSource>(chunks as Uint8Array<ArrayBuffer>[])
    .pipeThrough(new DecompressionStream("gzip"));
  return await new Response(stream).bytes();
}

async function deflateBytes(text: Uint8Array, chunk = 1000): Promise<ReturnType<typeof deflate>> {
  // One reused buffer, as CertMetrics does: what the compressor saw must be what was written.
  const buf = new Uint8Array(chunk);
  return await deflate(async (write) => {
    for (let at = 0; at < text.length; at += chunk) {
      const part = text.subarray(at, at + chunk);
      buf.set(part);
      await write(buf.subarray(0, part.length));
      buf.fill(0xff);
    }
  });
}

Deno.test("crc32() matches the standard check value", () => {
  assert.equal(crc32(enc.encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array()), 0);
  assert.equal(crc32(enc.encode("56789"), crc32(enc.encode("1234"))), 0xcbf43926);
});

Deno.test("crc32Combine() equals the CRC of the concatenation", () => {
  const text = randomText(300_000, 7);
  for (const cut of [0, 1, 2, 3, 100, 65_535, 65_536, 150_001, 299_999, 300_000]) {
    const a = text.subarray(0, cut);
    const b = text.subarray(cut);
    assert.equal(crc32Combine(crc32(a), crc32(b), b.length), crc32(text), `cut at ${cut}`);
  }
});

Deno.test("deflate() then gzipMember() is one gzip member of prefix + text", async () => {
  const cases: [number, number][] = [[0, 0], [10, 0], [0, 10], [500, 200_000], [200_000, 3]];
  for (const [prefixLength, textLength] of cases) {
    const prefix = randomText(prefixLength, 1);
    const text = randomText(textLength, 2);
    const cached = await deflateBytes(text);
    assert.equal(cached.length, text.length);
    assert.equal(cached.crc, crc32(text));
    const member = gzipMember(prefix, cached);
    assert.equal(member[1], cached.deflate, "the cached part is sent as is");
    const out = await gunzip(member);
    const expected = new Uint8Array(prefix.length + text.length);
    expected.set(prefix);
    expected.set(text, prefix.length);
    assert.deepEqual(out, expected, `prefix ${prefixLength}, text ${textLength}`);
  }
});

Deno.test("a gzipMember() body is read whole by gzip(1), which checks CRC and length", async () => {
  const prefix = enc.encode("# fresh part\n".repeat(6000)); // > 65,535 bytes: several stored blocks
  const text = enc.encode('x509_cert_not_after{subject_CN="a"} 1.8e+09\n'.repeat(5000));
  const member = gzipMember(prefix, await deflateBytes(text, 4096));
  const path = await Deno.makeTempFile({ suffix: ".gz" });
  try {
    await Deno.writeFile(path, new Blob(member).stream());
    const out = await new Deno.Command("gzip", { args: ["-dc", path] }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(out.stdout.length, prefix.length + text.length);
    assert.equal(
      new TextDecoder().decode(out.stdout.subarray(prefix.length)),
      new TextDecoder().decode(text),
    );
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("storedBlocks() frames at most 65,535 bytes per block", () => {
  assert.deepEqual([...storedBlocks(new Uint8Array())], [0, 0, 0, 0xff, 0xff]);
  assert.deepEqual([...storedBlocks(enc.encode("ab"))], [0, 2, 0, 0xfd, 0xff, 0x61, 0x62]);
  assert.equal(storedBlocks(new Uint8Array(65_536)).length, 65_536 + 10);
});

Deno.test("acceptsGzip() follows Accept-Encoding with q-values", () => {
  const yes = [
    "gzip",
    "gzip, deflate, br",
    "br;q=1.0, GZIP;q=0.5",
    "*",
    "x-gzip",
    "identity, *;q=0.1",
  ];
  const no = [null, "", "identity", "br", "gzip;q=0", "*;q=0", "gzip;q=0, *", "deflate"];
  for (const h of yes) assert.equal(acceptsGzip(h), true, String(h));
  for (const h of no) assert.equal(acceptsGzip(h), false, String(h));
});
