/**
 * `deno task compile`: builds the release binaries with `deno compile`.
 *
 *   deno task compile                                  # every target into dist/
 *   deno task compile --target x86_64-unknown-linux-gnu
 *   deno task compile --target linux-arm64 --checksums # one target, then dist/SHA256SUMS
 *   deno task compile --checksums-only                 # SHA256SUMS of what dist/ holds
 *
 * The binaries get exactly RUNTIME_FLAGS (permissions, V8 settings) and embed INCLUDE_FILES. `deno
 * compile` downloads its runtime (denort) for each target unless DENORT_BIN
 * names a local one; this script checks that such a runtime was built for the
 * target it is asked to build, and turns a failed download into one line.
 *
 * The git revision is baked in by rewriting src/_build_revision.ts for the
 * duration of the build and restoring it afterwards, so the tree stays clean.
 */
import { INCLUDE_FILES, RUNTIME_FLAGS } from "./flags.ts";
import { type BinaryArch, type BinaryOs, detectBinaryPlatform } from "./_binary_format.ts";

export const BINARY_NAME = "x509-certificate-exporter";

export interface CompileTarget {
  /** The Rust target triple `deno compile --target` takes. */
  triple: string;
  os: BinaryOs;
  arch: BinaryArch;
  /** The architecture as Go, Docker and the upstream exporter spell it. */
  goArch: "amd64" | "arm64";
}

export const TARGETS: readonly CompileTarget[] = [
  { triple: "x86_64-unknown-linux-gnu", os: "linux", arch: "x86_64", goArch: "amd64" },
  { triple: "aarch64-unknown-linux-gnu", os: "linux", arch: "aarch64", goArch: "arm64" },
  { triple: "x86_64-apple-darwin", os: "darwin", arch: "x86_64", goArch: "amd64" },
  { triple: "aarch64-apple-darwin", os: "darwin", arch: "aarch64", goArch: "arm64" },
  { triple: "x86_64-pc-windows-msvc", os: "windows", arch: "x86_64", goArch: "amd64" },
];

/** The release asset name, e.g. `x509-certificate-exporter-linux-amd64` or `...-windows-amd64.exe`. */
export function assetName(target: CompileTarget): string {
  const suffix = target.os === "windows" ? ".exe" : "";
  return `${BINARY_NAME}-${target.os}-${target.goArch}${suffix}`;
}

/** Finds a target by triple (`aarch64-apple-darwin`) or by OS and arch (`darwin-arm64`). */
export function findTarget(name: string): CompileTarget | undefined {
  return TARGETS.find((t) => t.triple === name || `${t.os}-${t.goArch}` === name);
}

export interface CompileArgsOptions {
  /** @default "main.ts" */
  entry?: string;
  /** @default "dist" */
  outDir?: string;
}

/** The arguments after `deno` that compile one target. */
export function compileArgs(target: CompileTarget, options: CompileArgsOptions = {}): string[] {
  const entry = options.entry ?? "main.ts";
  const outDir = options.outDir ?? "dist";
  return [
    "compile",
    ...RUNTIME_FLAGS,
    ...INCLUDE_FILES.flatMap((file) => ["--include", file]),
    "--target",
    target.triple,
    "--output",
    `${outDir}/${assetName(target)}`,
    entry,
  ];
}

export interface CompileOptions {
  targets: CompileTarget[];
  checksums: boolean;
  checksumsOnly: boolean;
  outDir: string;
  entry: string;
  help: boolean;
}

export class UsageError extends Error {
  override name = "UsageError";
}

/** Parses the script's own arguments. */
export function parseCompileArgs(args: readonly string[]): CompileOptions {
  const options: CompileOptions = {
    targets: [],
    checksums: false,
    checksumsOnly: false,
    outDir: "dist",
    entry: "main.ts",
    help: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => {
      const v = eq > 0 && name !== arg ? arg.slice(eq + 1) : args[++i];
      if (v === undefined || v === "") throw new UsageError(`Missing value for ${name}`);
      return v;
    };
    switch (name) {
      case "--target": {
        const wanted = value();
        const target = findTarget(wanted);
        if (!target) {
          throw new UsageError(
            `Unknown target: ${wanted} (one of ${TARGETS.map((t) => t.triple).join(", ")})`,
          );
        }
        if (!options.targets.includes(target)) options.targets.push(target);
        break;
      }
      case "--checksums":
        options.checksums = true;
        break;
      case "--checksums-only":
        options.checksumsOnly = true;
        break;
      case "--out-dir":
        options.outDir = value();
        break;
      case "--entry":
        options.entry = value();
        break;
      case "-h":
      case "--help":
        options.help = true;
        break;
      default:
        throw new UsageError(`Unknown argument: ${arg}`);
    }
  }
  if (options.targets.length === 0) options.targets = [...TARGETS];
  return options;
}

/**
 * Turns `deno compile`'s error output into one clear line when the cause is
 * the runtime it could not get, or returns undefined for any other failure.
 */
export function explainCompileFailure(
  target: CompileTarget,
  stderr: string,
  denortBin: string | undefined,
): string | undefined {
  const missing = stderr.match(/Could not find denort at '([^']*)'/);
  if (missing) return `Cannot read DENORT_BIN: ${missing[1]}`;
  const runtimeStep = /Setting up base binary|denort-[\w-]+\.zip|dl\.deno\.land/.test(stderr);
  if (runtimeStep && denortBin === undefined) {
    return `Cannot download the Deno runtime for ${target.triple}: ` +
      "set DENORT_BIN to a local denort binary";
  }
  if (runtimeStep) return `Cannot use DENORT_BIN for ${target.triple}: ${denortBin}`;
  return undefined;
}

/** Checks that DENORT_BIN is a runtime for the one target being built. */
export async function checkDenortBin(
  denortBin: string,
  targets: readonly CompileTarget[],
): Promise<void> {
  if (targets.length !== 1) {
    throw new UsageError(
      "DENORT_BIN is the runtime of one platform: build one --target at a time with it",
    );
  }
  const target = targets[0]!;
  let head: Uint8Array;
  try {
    using file = await Deno.open(denortBin);
    head = new Uint8Array(4096);
    const n = await file.read(head);
    head = head.subarray(0, n ?? 0);
  } catch {
    throw new UsageError(`Cannot read DENORT_BIN: ${denortBin}`);
  }
  const platform = detectBinaryPlatform(head);
  if (!platform) throw new UsageError(`DENORT_BIN is not an executable: ${denortBin}`);
  if (platform.os !== target.os || platform.arch !== target.arch) {
    throw new UsageError(
      `DENORT_BIN is a ${platform.os}/${platform.arch} runtime, not one for ${target.triple}: ` +
        denortBin,
    );
  }
}

/** `sha256sum`-compatible lines (`<hex>  <name>`), sorted by name. */
export async function checksumsText(files: readonly { name: string; bytes: Uint8Array }[]) {
  const lines = await Promise.all(files.map(async ({ name, bytes }) => {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
    const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex}  ${name}`;
  }));
  return lines.sort((a, b) => a.slice(66).localeCompare(b.slice(66))).map((l) => l + "\n")
    .join("");
}

/** The generated module that replaces src/_build_revision.ts while compiling. */
export function revisionModule(revision: string, built = new Date().toISOString()): string {
  return "// Generated by scripts/compile.ts for the duration of a build.\n" +
    `export const BUILD_REVISION: string | undefined = ${JSON.stringify(revision)};\n` +
    `export const BUILD_TIME: string | undefined = ${JSON.stringify(built)};\n`;
}

const ROOT = new URL("../", import.meta.url);
const REVISION_FILE = new URL("src/_build_revision.ts", ROOT);

async function run(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(cmd, { args, cwd: ROOT, stdout: "piped", stderr: "null" })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

/** X509_EXPORTER_REVISION, else the git commit (`-dirty` when tracked files changed), else "unknown". */
async function currentRevision(): Promise<string> {
  const fromEnv = Deno.env.get("X509_EXPORTER_REVISION");
  if (fromEnv) return fromEnv;
  const commit = await run("git", ["rev-parse", "HEAD"]);
  if (!commit) return "unknown";
  const status = await run("git", ["status", "--porcelain", "--untracked-files=no"]);
  return status ? `${commit}-dirty` : commit;
}

async function writeChecksums(outDir: URL): Promise<string> {
  const files = [];
  for await (const entry of Deno.readDir(outDir)) {
    if (!entry.isFile || !entry.name.startsWith(`${BINARY_NAME}-`)) continue;
    files.push({ name: entry.name, bytes: await Deno.readFile(new URL(entry.name, outDir)) });
  }
  if (files.length === 0) {
    throw new UsageError(`No ${BINARY_NAME}-* binaries in ${outDir.pathname}`);
  }
  const text = await checksumsText(files);
  await Deno.writeTextFile(new URL("SHA256SUMS", outDir), text);
  return text;
}

/** Runs `deno compile` for one target; returns a one-line error or undefined on success. */
async function compileOne(target: CompileTarget, options: CompileOptions) {
  const args = compileArgs(target, { entry: options.entry, outDir: options.outDir });
  console.error(`Compiling ${assetName(target)} (${target.triple})`);
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.success) return undefined;
  const stderr = new TextDecoder().decode(out.stderr);
  const explained = explainCompileFailure(target, stderr, Deno.env.get("DENORT_BIN"));
  if (explained) return explained;
  await Deno.stderr.write(out.stderr);
  return `deno compile failed for ${target.triple} (exit code ${out.code})`;
}

const HELP = `Usage: deno task compile [--target TRIPLE|OS-ARCH]... [--checksums | --checksums-only]
                         [--out-dir DIR] [--entry FILE]
Targets: ${TARGETS.map((t) => `${t.triple} (${t.os}-${t.goArch})`).join(", ")}
Env: DENORT_BIN (local runtime for the one --target), X509_EXPORTER_REVISION (overrides git)`;

async function main(args: string[]): Promise<number> {
  let options: CompileOptions;
  try {
    options = parseCompileArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`error: ${e.message}\n${HELP}`);
    return 2;
  }
  if (options.help) {
    console.log(HELP);
    return 0;
  }
  const outDir = new URL(options.outDir.replace(/\/?$/, "/"), ROOT);
  try {
    if (!options.checksumsOnly) {
      const denortBin = Deno.env.get("DENORT_BIN");
      if (denortBin !== undefined) await checkDenortBin(denortBin, options.targets);
      await Deno.mkdir(outDir, { recursive: true });
      const original = await Deno.readFile(REVISION_FILE);
      const restore = () => Deno.writeFileSync(REVISION_FILE, original);
      const onSignal = () => {
        restore();
        Deno.exit(130);
      };
      Deno.addSignalListener("SIGINT", onSignal);
      try {
        await Deno.writeTextFile(REVISION_FILE, revisionModule(await currentRevision()));
        for (const target of options.targets) {
          const failure = await compileOne(target, options);
          if (failure) {
            console.error(`error: ${failure}`);
            return 1;
          }
        }
      } finally {
        restore();
        Deno.removeSignalListener("SIGINT", onSignal);
      }
    }
    if (options.checksums || options.checksumsOnly) {
      console.log((await writeChecksums(outDir)).trimEnd());
    }
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`error: ${e.message}`);
    return 1;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
