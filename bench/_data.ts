/**
 * Benchmark inputs, generated once and cached under /tmp: signing costs ~3 ms
 * per certificate, so 10,000 of them are worth keeping between runs.
 */
import { exists } from "../src/fs.ts";
import { makeCert, type TestCert } from "../tests/testing/certs.ts";

export const CACHE_DIR = "/tmp/x509-exporter-bench-cache";

const END = "-----END CERTIFICATE-----";

/** Splits a PEM concatenation into one PEM string per certificate. */
export function splitPem(text: string): string[] {
  return text.split(END).filter((s) => s.includes("BEGIN")).map((s) =>
    s.trim() + "\n" + END + "\n"
  );
}

/**
 * `n` leaf certificates signed by one CA (one key: only the signatures differ),
 * each with a unique CN and serial; `notAfter(i)` in ms since the epoch when given.
 * Cached as one PEM file under `name`.
 */
export async function certPool(
  name: string,
  n: number,
  notAfter?: (i: number) => number,
): Promise<string[]> {
  // Small runs take a prefix of a full-size pool (10,000, or 100,000 past that for the
  // scale scenarios), so each is generated only once.
  const size = n < 1000 || name === "intermediate"
    ? n
    : n <= 10_000
    ? 10_000
    : Math.max(n, 100_000);
  const path = `${CACHE_DIR}/${name}-${size}.pem`;
  if (await exists(path)) return splitPem(await Deno.readTextFile(path)).slice(0, n);
  await Deno.mkdir(CACHE_DIR, { recursive: true });
  const ca = await makeCert({ name: "CN=Bench Root CA, O=Bench", ca: true, days: 3650 });
  const out: string[] = [];
  const started = performance.now();
  for (let i = 0; i < size; i += 50) {
    const batch: Promise<TestCert>[] = [];
    for (let j = i; j < Math.min(size, i + 50); j++) {
      batch.push(makeCert({
        name: `CN=${name}-${j}.bench.example, O=Bench+OU=Team ${j % 17}`,
        issuer: ca,
        serial: (0x100000 + j).toString(16) + "b3c4",
        ...(notAfter ? { notAfter: new Date(notAfter(j)) } : { days: 30 + (j % 700) }),
      }));
    }
    for (const c of await Promise.all(batch)) out.push(c.pem);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.error(`Generated ${size} certificates for ${name} in ${seconds}s (cached in ${path})`);
  await Deno.writeTextFile(path + ".tmp", out.join(""));
  await Deno.rename(path + ".tmp", path);
  return out.slice(0, n);
}

/** Shared intermediates repeated across many bundles, as a real fleet's chains are. */
async function intermediates(): Promise<string[]> {
  return (await certPool("intermediate", 20)).slice(0, 20);
}

/**
 * Reads every file under `dir` once, so the run that follows finds them in the
 * page cache as the one before did: this machine evicts idle pages (kdamond),
 * and a first sync from the disk took 6-7 instead of 3.5-3.7 s at 100,000
 * certificates (the native peer 2.5 instead of 1.2 s), whichever ran first.
 */
export function warmPageCache(dir: string): void {
  for (const e of Deno.readDirSync(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) warmPageCache(path);
    else if (e.isFile) Deno.readFileSync(path);
  }
}

/**
 * `files` PEM bundles of 1–10 certificates holding `total` certificates in all:
 * bundles of 3 or more end with one of 20 shared intermediates. Returns the directory.
 */
export async function pemTree(total: number, files: number): Promise<string> {
  const dir = `${CACHE_DIR}/files-${total}-${files}`;
  if (await exists(`${dir}/.complete`)) return dir;
  await Deno.mkdir(dir, { recursive: true });
  const sizes = Array.from({ length: files }, (_, i) => 1 + ((i * 7) % 10));
  let sum = sizes.reduce((a, b) => a + b, 0);
  // Nudge sizes (within 1..10) until they add up to exactly `total`.
  for (let i = 0; sum !== total; i = (i + 1) % files) {
    if (sum < total && sizes[i]! < 10) (sizes[i]!++, sum++);
    else if (sum > total && sizes[i]! > 1) (sizes[i]!--, sum--);
  }
  const inter = await intermediates();
  const leavesNeeded = sizes.reduce((a, s) => a + (s >= 3 ? s - 1 : s), 0);
  const leaves = await certPool("leaf", leavesNeeded);
  let next = 0;
  for (let f = 0; f < files; f++) {
    const size = sizes[f]!;
    const own = size >= 3 ? size - 1 : size;
    let pem = leaves.slice(next, next + own).join("");
    next += own;
    if (size >= 3) pem += inter[f % inter.length];
    const sub = `${dir}/d${String(f % 20).padStart(2, "0")}`;
    await Deno.mkdir(sub, { recursive: true });
    await Deno.writeTextFile(`${sub}/bundle-${f}.pem`, pem);
  }
  await Deno.writeTextFile(`${dir}/.complete`, "");
  return dir;
}

/** A Helm-release-like payload: base64 text of `bytes` incompressible-looking bytes. */
export function helmPayload(bytes: number): string {
  const raw = new Uint8Array(Math.ceil((bytes * 3) / 4));
  for (let i = 0; i < raw.length; i += 65536) crypto.getRandomValues(raw.subarray(i, i + 65536));
  let s = "";
  for (let i = 0; i < raw.length; i += 0x8000) {
    s += String.fromCharCode(...raw.subarray(i, i + 0x8000));
  }
  return btoa(s).slice(0, bytes);
}
