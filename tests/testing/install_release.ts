/**
 * Test doubles for install.sh: a release served on 127.0.0.1, the installer run
 * against a temporary root (DESTDIR), and stand-ins for the system tools it
 * calls (getent, groupadd, setfacl...) that only record their arguments.
 */
import { assetName, TARGETS } from "../../scripts/compile.ts";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const INSTALL_SH = `${ROOT}install.sh`;
const HOST_TARGET = TARGETS.find((t) => t.os === Deno.build.os && t.arch === Deno.build.arch);
export const ASSET = HOST_TARGET ? assetName(HOST_TARGET) : "unsupported";
export const SUPPORTED = HOST_TARGET !== undefined && HOST_TARGET.os !== "windows";
export const FIXTURE = "#!/bin/sh\necho 'installer fixture, not the exporter'\n";

export const BIN = "usr/local/bin/x509-certificate-exporter";
export const CONFIG = "etc/x509-certificate-exporter/config.yaml";
export const UNIT_PATH = "etc/systemd/system/x509-certificate-exporter.service";
export const SHARE = "usr/local/share/x509-certificate-exporter";

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A release: the binary, and `extra` assets, all listed in SHA256SUMS unless `unlisted`. */
export async function release(
  extra: Record<string, string> = {},
  options: { unlisted?: string[] } = {},
): Promise<Record<string, string>> {
  const files: Record<string, string> = { [ASSET]: FIXTURE, ...extra };
  let sums = "";
  for (const [name, body] of Object.entries(files)) {
    if (!options.unlisted?.includes(name)) sums += `${await sha256Hex(body)}  ${name}\n`;
  }
  return { ...files, SHA256SUMS: sums };
}

export interface Served {
  baseUrl: string;
  requests: string[];
  close(): Promise<void>;
}

/** Serves `files` on 127.0.0.1 and records each path asked for. */
export function serve(files: Record<string, string>): Served {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const name = new URL(req.url).pathname.replace(/^\/v9\.9\.9\//, "");
    requests.push(name);
    const body = files[name];
    return body === undefined ? new Response("not found", { status: 404 }) : new Response(body);
  });
  return {
    baseUrl: `http://127.0.0.1:${server.addr.port}/v9.9.9`,
    requests,
    close: () => server.shutdown(),
  };
}

/** Runs install.sh with `args`; `env` adds to (and PATH may replace) the environment. */
export async function installer(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command("sh", {
    args: [INSTALL_SH, ...args],
    env: { X509_EXPORTER_VERSION: "", X509_EXPORTER_GROUP: "", ...env },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, output: text };
}

/** Every file under `dir`, relative, sorted (symlinks as files). */
export function tree(dir: string, prefix = ""): string[] {
  const names: string[] = [];
  for (const entry of Deno.readDirSync(`${dir}/${prefix}`)) {
    const rel = `${prefix}${entry.name}`;
    if (entry.isDirectory) names.push(...tree(dir, `${rel}/`));
    else names.push(rel);
  }
  return names.sort();
}

/** A temporary root and a release server, both cleaned up after `fn`. */
export async function withRoot(
  files: Record<string, string> | Promise<Record<string, string>>,
  fn: (root: string, served: Served) => Promise<void>,
) {
  const root = await Deno.makeTempDir({ prefix: "x509-install-root-" });
  const served = serve(await files);
  try {
    await fn(root, served);
  } finally {
    await served.close();
    await Deno.remove(root, { recursive: true });
  }
}

export function hasCommand(name: string): boolean {
  return new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "null" })
    .outputSync().success;
}

/**
 * A PATH holding the tools install.sh needs from this host, and stand-ins: each
 * `stubs` entry is a shell script body; every stand-in call is appended to
 * `log` as one line (tool name and arguments). Tools not listed and not in
 * `TOOLS` are absent, so `command -v setfacl` fails unless setfacl is stubbed.
 */
export async function toolPath(
  stubs: Record<string, string>,
): Promise<{ path: string; log: string; calls(): Promise<string[]>; cleanup(): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "x509-install-tools-" });
  const log = `${dir}/calls.log`;
  await Deno.writeTextFile(log, "");
  for (const tool of TOOLS) {
    if (tool in stubs) continue;
    const found = new Deno.Command("sh", { args: ["-c", `command -v ${tool}`], stdout: "piped" })
      .outputSync();
    const at = new TextDecoder().decode(found.stdout).trim();
    if (found.success && at.startsWith("/")) await Deno.symlink(at, `${dir}/${tool}`);
  }
  for (const [tool, body] of Object.entries(stubs)) {
    await Deno.writeTextFile(
      `${dir}/${tool}`,
      `#!/bin/sh\necho "${tool} $*" >>'${log}'\n${body}\n`,
      { mode: 0o755 },
    );
  }
  return {
    path: dir,
    log,
    calls: async () => (await Deno.readTextFile(log)).split("\n").filter((l) => l !== ""),
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

/** What install.sh runs, besides shell built-ins. */
const TOOLS = [
  "sh",
  "awk",
  "cat",
  "chgrp",
  "chmod",
  "cp",
  "curl",
  "cut",
  "dirname",
  "getent",
  "grep",
  "id",
  "ls",
  "mkdir",
  "mktemp",
  "mv",
  "rm",
  "rmdir",
  "sed",
  "sha256sum",
  "shasum",
  "uname",
  "wget",
];
