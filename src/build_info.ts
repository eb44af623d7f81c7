/**
 * What `--version` prints and `x509_exporter_build_info` exports: the version
 * from deno.json, the git revision baked in by scripts/compile.ts (or read from
 * .git when running from a checkout), and the Deno runtime's version.
 */
import denoJson from "../deno.json" with { type: "json" };
import { BUILD_REVISION, BUILD_TIME } from "./_build_revision.ts";

export interface BuildInfo {
  version: string;
  revision: string;
  /** When the binary was compiled (RFC 3339), "unknown" when running from source. */
  built: string;
  denoVersion: string;
}

/**
 * The commit a checkout is at, from `.git` files alone (no subprocess, so no
 * --allow-run): HEAD, a loose ref or packed-refs. "unknown" when there is no
 * readable repository, including when read permission was not granted.
 */
export function readGitRevision(repoDir: URL): string {
  try {
    const dotGit = new URL(".git", repoDir);
    if (Deno.permissions.querySync({ name: "read", path: dotGit }).state !== "granted") {
      return "unknown";
    }
    let gitDir = new URL(".git/", repoDir);
    if (Deno.statSync(dotGit).isFile) {
      // A worktree or submodule: `.git` is a file that says where the repository is.
      const pointer = Deno.readTextFileSync(dotGit).match(/^gitdir: (.+)$/m)?.[1]?.trim();
      if (!pointer) return "unknown";
      gitDir = new URL(pointer.replace(/\/?$/, "/"), repoDir);
    }
    const head = Deno.readTextFileSync(new URL("HEAD", gitDir)).trim();
    const ref = head.match(/^ref: (.+)$/)?.[1];
    if (!ref) return isCommit(head) ? head : "unknown";
    // A linked worktree keeps its HEAD apart and shares the refs of the main repository.
    const commonDir = readOptional(new URL("commondir", gitDir))?.trim();
    const refsDir = commonDir ? new URL(commonDir.replace(/\/?$/, "/"), gitDir) : gitDir;
    const loose = readOptional(new URL(ref, refsDir))?.trim();
    if (loose && isCommit(loose)) return loose;
    const packed = readOptional(new URL("packed-refs", refsDir)) ?? "";
    for (const line of packed.split("\n")) {
      const [commit, name] = line.trim().split(" ");
      if (name === ref && commit && isCommit(commit)) return commit;
    }
  } catch {
    // No repository here, or it is unreadable.
  }
  return "unknown";
}

function readOptional(url: URL): string | undefined {
  try {
    return Deno.readTextFileSync(url);
  } catch {
    return undefined;
  }
}

function isCommit(text: string): boolean {
  return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(text);
}

/** One line for `--version`. */
export function formatBuildInfo(
  info: Pick<BuildInfo, "version" | "revision" | "denoVersion">,
): string {
  return `x509-certificate-exporter ${info.version} (revision ${info.revision}, deno ${info.denoVersion})`;
}

export const BUILD_INFO: Readonly<BuildInfo> = Object.freeze({
  version: denoJson.version,
  revision: BUILD_REVISION ?? readGitRevision(new URL("../", import.meta.url)),
  built: BUILD_TIME ?? "unknown",
  denoVersion: Deno.version.deno,
});
