import assert from "node:assert/strict";
import { INCLUDE_FILES, PERMISSION_FLAGS, RUNTIME_FLAGS, V8_FLAGS } from "../scripts/flags.ts";
import { exists } from "../src/fs.ts";
import {
  assetName,
  checkDenortBin,
  checksumsText,
  compileArgs,
  explainCompileFailure,
  findTarget,
  parseCompileArgs,
  revisionModule,
  TARGETS,
} from "../scripts/compile.ts";
import { detectBinaryPlatform } from "../scripts/_binary_format.ts";

const ROOT = new URL("../", import.meta.url);
const LINUX_AMD64 = findTarget("x86_64-unknown-linux-gnu")!;
const DOWNLOAD_FAILURE = `Compile main.ts to dist/x509-certificate-exporter-linux-amd64
Download https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip
error: Writing deno compile executable to temporary file 'out.tmp-caaf43c31d0f278f'

Caused by:
    0: Setting up base binary.
    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip): client error (Connect): dns error: failed to lookup address information: Name or service not known

Stack backtrace:
   0: <unknown>
`;
const DOWNLOAD_MESSAGE = "Cannot download the Deno runtime for x86_64-unknown-linux-gnu: " +
  "set DENORT_BIN to a local denort binary";

Deno.test("TARGETS are the five release platforms with upstream-style asset names", () => {
  assert.deepEqual(TARGETS.map((t) => [t.triple, assetName(t)]), [
    ["x86_64-unknown-linux-gnu", "x509-certificate-exporter-linux-amd64"],
    ["aarch64-unknown-linux-gnu", "x509-certificate-exporter-linux-arm64"],
    ["x86_64-apple-darwin", "x509-certificate-exporter-darwin-amd64"],
    ["aarch64-apple-darwin", "x509-certificate-exporter-darwin-arm64"],
    ["x86_64-pc-windows-msvc", "x509-certificate-exporter-windows-amd64.exe"],
  ]);
});

Deno.test("findTarget() accepts a triple or OS-ARCH as Docker's TARGETARCH spells it", () => {
  assert.deepEqual(findTarget("linux-arm64")?.triple, "aarch64-unknown-linux-gnu");
  assert.deepEqual(findTarget("windows-amd64")?.triple, "x86_64-pc-windows-msvc");
  assert.deepEqual(findTarget("aarch64-apple-darwin")?.os, "darwin");
  assert.deepEqual(findTarget("linux-riscv64"), undefined);
});

Deno.test("compileArgs() grants exactly PERMISSION_FLAGS and embeds every INCLUDE_FILES entry", () => {
  for (const target of TARGETS) {
    const args = compileArgs(target);
    assert.deepEqual(args[0], "compile");
    assert.deepEqual(args.slice(1, 1 + RUNTIME_FLAGS.length), [...RUNTIME_FLAGS]);
    const permissions = args.filter((a) => a.startsWith("--allow") || a === "-A");
    assert.deepEqual(permissions, [...PERMISSION_FLAGS]);
    assert.deepEqual(args.filter((a) => a.startsWith("--v8-flags")), [...V8_FLAGS]);
    const includes = args.flatMap((a, i) => a === "--include" ? [args[i + 1]] : []);
    assert.deepEqual(includes, [...INCLUDE_FILES]);
    const at = (flag: string) => args[args.indexOf(flag) + 1];
    assert.deepEqual(at("--target"), target.triple);
    assert.deepEqual(at("--output"), `dist/${assetName(target)}`);
    assert.deepEqual(args.at(-1), "main.ts");
  }
  const custom = compileArgs(LINUX_AMD64, { entry: "x.ts", outDir: "/tmp/out" });
  assert.deepEqual(custom.slice(-3), [
    "--output",
    "/tmp/out/x509-certificate-exporter-linux-amd64",
    "x.ts",
  ]);
});

Deno.test("parseCompileArgs() defaults to every target and reads --target, --checksums, --out-dir", () => {
  const all = parseCompileArgs([]);
  assert.deepEqual(all.targets, [...TARGETS]);
  assert.deepEqual([all.checksums, all.checksumsOnly, all.outDir, all.entry], [
    false,
    false,
    "dist",
    "main.ts",
  ]);
  const some = parseCompileArgs([
    "--target",
    "linux-arm64",
    "--target=aarch64-unknown-linux-gnu",
    "--target",
    "x86_64-apple-darwin",
    "--checksums",
    "--out-dir=build",
  ]);
  assert.deepEqual(some.targets.map((t) => t.triple), [
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
  ]);
  assert.deepEqual([some.checksums, some.outDir], [true, "build"]);
  assert.deepEqual(parseCompileArgs(["--checksums-only"]).checksumsOnly, true);
  assert.throws(() => parseCompileArgs(["--target", "linux-mips"]), {
    name: "UsageError",
    message: /Unknown target/,
  });
  assert.throws(() => parseCompileArgs(["--target"]), {
    name: "UsageError",
    message: /Missing value for --target/,
  });
  assert.throws(() => parseCompileArgs(["-A"]), {
    name: "UsageError",
    message: /Unknown argument: -A/,
  });
});

Deno.test("explainCompileFailure() turns a failed runtime download into one line", () => {
  assert.deepEqual(
    explainCompileFailure(LINUX_AMD64, DOWNLOAD_FAILURE, undefined),
    DOWNLOAD_MESSAGE,
  );
  assert.deepEqual(
    explainCompileFailure(LINUX_AMD64, "0: Could not find denort at '/x/denort'\n", "/x/denort"),
    "Cannot read DENORT_BIN: /x/denort",
  );
  assert.deepEqual(
    explainCompileFailure(LINUX_AMD64, "TS2307 [ERROR]: Cannot find module\n", undefined),
    undefined,
  );
});

Deno.test("checksumsText() writes sha256sum lines sorted by file name", async () => {
  const text = await checksumsText([
    { name: "b", bytes: new TextEncoder().encode("") },
    { name: "a", bytes: new TextEncoder().encode("abc") },
  ]);
  assert.deepEqual(
    text,
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  a\n" +
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  b\n",
  );
});

Deno.test("detectBinaryPlatform() reads ELF, Mach-O and PE headers", async () => {
  const self = await Deno.readFile(Deno.execPath());
  const host = detectBinaryPlatform(self.subarray(0, 4096));
  const expectedOs = Deno.build.os === "windows" ? "windows" : Deno.build.os;
  assert.deepEqual(host, { os: expectedOs as "linux", arch: Deno.build.arch });

  const macho = new Uint8Array(64);
  new DataView(macho.buffer).setUint32(0, 0xfeedfacf, true);
  new DataView(macho.buffer).setUint32(4, 0x0100000c, true);
  assert.deepEqual(detectBinaryPlatform(macho), { os: "darwin", arch: "aarch64" });

  const pe = new Uint8Array(256);
  pe.set([0x4d, 0x5a]);
  new DataView(pe.buffer).setUint32(0x3c, 0x80, true);
  new DataView(pe.buffer).setUint32(0x80, 0x50450000);
  new DataView(pe.buffer).setUint16(0x84, 0x8664, true);
  assert.deepEqual(detectBinaryPlatform(pe), { os: "windows", arch: "x86_64" });

  assert.deepEqual(
    detectBinaryPlatform(new TextEncoder().encode("#!/bin/sh\n".repeat(10))),
    undefined,
  );
});

Deno.test("checkDenortBin() refuses a runtime of another platform, several targets, a missing file", async () => {
  const host = TARGETS.find((t) => t.os === Deno.build.os && t.arch === Deno.build.arch);
  const other = TARGETS.find((t) => t !== host && t.os !== Deno.build.os)!;
  if (host) await checkDenortBin(Deno.execPath(), [host]);
  await assert.rejects(() => checkDenortBin(Deno.execPath(), [other]), {
    name: "UsageError",
    message: new RegExp(`runtime, not one for ${other.triple}`),
  });
  await assert.rejects(() => checkDenortBin(Deno.execPath(), TARGETS), {
    name: "UsageError",
    message: /build one --target at a time/,
  });
  await assert.rejects(() => checkDenortBin("/nonexistent/denort", [LINUX_AMD64]), {
    name: "UsageError",
    message: "Cannot read DENORT_BIN: /nonexistent/denort",
  });
});

Deno.test("revisionModule() is a module exporting the revision as a string", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/r.ts`, revisionModule('abc"def'));
    const mod = await import(`file://${dir}/r.ts`);
    assert.deepEqual(mod.BUILD_REVISION, 'abc"def');
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---- The script run for real, in a scratch copy of the files it needs ----

/**
 * A scratch copy of the project to run the compile script in, so a build never rewrites the
 * real src/_build_revision.ts under tests running in parallel. `full` copies all of main.ts and
 * src/; otherwise only what the small fixture entry needs, with placeholder INCLUDE_FILES.
 */
async function scratchProject(full = false): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "x509-compile-test-" });
  const parent = (path: string) => `${dir}/${path}`.replace(/\/[^/]+$/, "");
  const copy = async (path: string) => {
    const from = new URL(path, ROOT);
    if ((await Deno.stat(from)).isDirectory) {
      for await (const entry of Deno.readDir(from)) await copy(`${path}/${entry.name}`);
      return;
    }
    await Deno.mkdir(parent(path), { recursive: true });
    await Deno.copyFile(from, `${dir}/${path}`);
  };
  const paths = full
    ? ["deno.json", "main.ts", "src", "scripts", ...INCLUDE_FILES]
    : ["deno.json", "scripts", "src/build_info.ts", "src/_build_revision.ts"];
  if (await exists(new URL("deno.lock", ROOT))) paths.push("deno.lock");
  for (const path of [...paths, "tests/testdata/compile/print_build_info.ts"]) await copy(path);
  if (!full) {
    for (const include of INCLUDE_FILES) {
      await Deno.mkdir(parent(include), { recursive: true });
      await Deno.writeTextFile(`${dir}/${include}`, "# placeholder for the compile test\n");
    }
  }
  return dir;
}

interface Run {
  code: number;
  stderr: string;
  ms: number;
}

async function runCompileTask(cwd: string | URL, args: string[], env: Record<string, string>) {
  const childEnv = Deno.env.toObject();
  delete childEnv.DENORT_BIN;
  const started = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "compile", ...args],
    cwd,
    env: { ...childEnv, NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const stderr = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  return { code: out.code, stderr, ms: performance.now() - started } satisfies Run;
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  for (let i = haystack.indexOf(needle[0]!); i >= 0; i = haystack.indexOf(needle[0]!, i + 1)) {
    if (needle.every((b, j) => haystack[i + j] === b)) return true;
  }
  return false;
}

const FIXTURE_ENTRY = ["--entry", "tests/testdata/compile/print_build_info.ts"];

Deno.test("deno task compile without a runtime fails with one clear line, or really builds", async () => {
  const dir = await scratchProject();
  try {
    const before = await Deno.readTextFile(`${dir}/src/_build_revision.ts`);
    const run = await runCompileTask(
      dir,
      ["--target", "x86_64-unknown-linux-gnu", ...FIXTURE_ENTRY],
      { X509_EXPORTER_REVISION: "test-revision-1" },
    );
    assert.deepEqual(await Deno.readTextFile(`${dir}/src/_build_revision.ts`), before);
    const binary = `${dir}/dist/x509-certificate-exporter-linux-amd64`;
    if (run.code === 0) {
      // The runtime was cached or the network was there: the build is real, so run it.
      console.log(`compiled for real in ${Math.round(run.ms)} ms`);
      if (Deno.build.os === "linux" && Deno.build.arch === "x86_64") {
        const out = await new Deno.Command(binary, { stdout: "piped" }).output();
        assert.match(new TextDecoder().decode(out.stdout), /revision test-revision-1, deno \d/);
      }
      return;
    }
    assert.deepEqual(run.code, 1);
    assert.ok(run.stderr.split("\n").includes(`error: ${DOWNLOAD_MESSAGE}`), run.stderr);
    assert.ok(!/Stack backtrace|Caused by/.test(run.stderr), run.stderr);
    const built = [...Deno.readDirSync(`${dir}/dist`)].map((e) => e.name);
    assert.deepEqual(built, [], "no binary may be left behind after a failed build");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task compile hands DENORT_BIN to deno compile and bakes in the revision", async () => {
  // A stand-in runtime (a copy of `deno` itself) proves the hand-off offline: deno compile
  // appends the program to whatever DENORT_BIN names. The output is discarded, never shipped.
  const host = TARGETS.find((t) => t.os === Deno.build.os && t.arch === Deno.build.arch);
  if (!host) return console.log(`no release target for ${Deno.build.target}: skipped`);
  const dir = await scratchProject();
  try {
    const run = await runCompileTask(
      dir,
      ["--target", host.triple, "--checksums", ...FIXTURE_ENTRY],
      { DENORT_BIN: Deno.execPath(), X509_EXPORTER_REVISION: "test-revision-2" },
    );
    assert.deepEqual(run.code, 0, run.stderr);
    assert.ok(!run.stderr.includes("dl.deno.land"), "DENORT_BIN must stop the download");
    const output = await Deno.readFile(`${dir}/dist/${assetName(host)}`);
    const baked = 'BUILD_REVISION: string | undefined = "test-revision-2"';
    assert.ok(contains(output, new TextEncoder().encode(baked)), "the revision must be baked in");
    const sums = await Deno.readTextFile(`${dir}/dist/SHA256SUMS`);
    assert.deepEqual(sums, await checksumsText([{ name: assetName(host), bytes: output }]));
    assert.deepEqual(
      await Deno.readTextFile(`${dir}/src/_build_revision.ts`),
      await Deno.readTextFile(new URL("src/_build_revision.ts", ROOT)),
      "the revision module must be restored after the build",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task compile refuses a DENORT_BIN for another platform before compiling", async () => {
  const other = TARGETS.find((t) => t.os !== Deno.build.os)!;
  const run = await runCompileTask(ROOT, ["--target", other.triple], {
    DENORT_BIN: Deno.execPath(),
  });
  assert.deepEqual(run.code, 1);
  assert.match(
    run.stderr,
    new RegExp(`error: DENORT_BIN is a \\S+ runtime, not one for ${other.triple}`),
  );
  assert.ok(!run.stderr.includes("Compiling"), run.stderr);
});

const HAS_SOURCES = (await Promise.all(["main.ts", ...INCLUDE_FILES].map(exists))).every(Boolean);

Deno.test({
  name:
    "deno task compile --target x86_64-unknown-linux-gnu of the real main.ts fails clearly offline",
  ignore: !HAS_SOURCES,
  async fn() {
    const dir = await scratchProject(true);
    try {
      const run = await runCompileTask(dir, ["--target", "x86_64-unknown-linux-gnu"], {
        X509_EXPORTER_REVISION: "test-revision-3",
      });
      console.log(`deno task compile exited ${run.code} in ${Math.round(run.ms)} ms`);
      assert.deepEqual(
        await Deno.readTextFile(`${dir}/src/_build_revision.ts`),
        await Deno.readTextFile(new URL("src/_build_revision.ts", ROOT)),
      );
      const binary = `${dir}/dist/x509-certificate-exporter-linux-amd64`;
      if (run.code === 0) {
        if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") return;
        const out = await new Deno.Command(binary, { args: ["--version"], stdout: "piped" })
          .output();
        const denoJson = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
        const version = new TextDecoder().decode(out.stdout);
        assert.ok(version.includes(denoJson.version), version);
        assert.ok(version.includes("test-revision-3"), version);
        return;
      }
      assert.deepEqual(run.code, 1);
      assert.ok(run.stderr.split("\n").includes(`error: ${DOWNLOAD_MESSAGE}`), run.stderr);
      assert.ok(!/Stack backtrace|Caused by/.test(run.stderr), run.stderr);
      assert.deepEqual([...Deno.readDirSync(`${dir}/dist`)], []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("deno task start runs main.ts with exactly the binary's runtime flags", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const words = String(config.tasks.start).split(/\s+/);
  assert.deepEqual(words.slice(0, 2), ["deno", "run"]);
  assert.deepEqual(words.slice(2, -1), [...RUNTIME_FLAGS]);
  assert.equal(words.at(-1), "main.ts");
});
