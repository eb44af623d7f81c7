import { dirname, isAbsolute, join, resolve } from "node:path";
import type { Bundle } from "../bundle.ts";
import { type Reason, reasonForFsError } from "../errors.ts";
import { wholeError } from "../parse/decode.ts";
import { isDirSync } from "../fs.ts";
import { TimeSlice } from "../steps.ts";
import { isGlob, pathRegExp, segmentRegExp, splitPattern } from "./glob.ts";

export interface ScanOptions {
  readonly paths: readonly string[];
  readonly excludePaths?: readonly string[];
  /** Read files reached through a symlink. @default true */
  readonly followSymlinks?: boolean;
  /** Let `**` descend into symlinked directories. @default false */
  readonly followSymlinkDirs?: boolean;
  /** Host-to-container prefixes for absolute symlink targets; non-empty turns on containment. */
  readonly pathMappings?: readonly { from: string; to: string }[];
}

/** A file to read: `path` as the user sees it, `target` what to open, `version` its identity. */
export interface FoundFile {
  readonly path: string;
  readonly target: string;
  /** inode, mtime and size of the target: when unchanged, the file need not be read again. */
  readonly version: string;
}

export interface ScanProblem {
  readonly path: string;
  readonly reason: Reason;
  readonly message: string;
}

/**
 * What a failed filesystem call on `path` means. A name that is not valid UTF-8
 * reaches us with U+FFFD in place of its bytes (every Deno and node:fs call
 * decodes names lossily; only FFI or a subprocess could pass the raw bytes, and
 * the exporter has neither), so such a file cannot be opened: `not_found`, with
 * a message that says why and what to do.
 */
export function fsProblem(path: string, err: unknown): ScanProblem {
  const reason = reasonForFsError(err);
  const message = (err as Error).message;
  if (reason !== "not_found" || !path.includes("\uFFFD")) return { path, reason, message };
  return {
    path,
    reason,
    message: "File name is not valid UTF-8 (shown with U+FFFD): it cannot be opened by name; " +
      `rename it to UTF-8. ${message}`,
  };
}

/** The bundle that stands for a path the scan could not read: one error item. */
export function problemBundle(p: ScanProblem): Bundle {
  return { ref: p.path, location: { filepath: p.path }, items: [wholeError(p.reason, p.message)] };
}

export interface ScanResult {
  readonly files: FoundFile[];
  /** Problems tied to one path (a bundle with an error item). */
  readonly problems: ScanProblem[];
  /** Problems walking a directory (counted on the source, no bundle); a missing glob root too. */
  readonly walkErrors: ScanProblem[];
  /** FIFOs, devices and sockets a glob or directory matched: never opened (opening may block). */
  readonly skipped: ScanProblem[];
  /** Glob patterns whose root exists but which matched nothing this round. */
  readonly emptyPatterns: string[];
  /**
   * Files reached a second time by another path (a link to a file already found, or two
   * patterns naming one file): left out, so no certificate is counted twice.
   */
  readonly duplicates: { readonly path: string; readonly of: string }[];
  /**
   * Every directory whose entries the result depends on (walked, holding a file,
   * a link or a link target, or where a missing path would appear): watching
   * them for changes tells when the next scan could differ.
   */
  readonly dirs: Set<string>;
}

const MAX_SYMLINK_HOPS = 40;

function realPath(path: string): string | undefined {
  try {
    return Deno.realPathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Expands the configured paths into the files to read this round.
 *
 * The filesystem calls are synchronous on purpose: a poll is thousands of
 * metadata calls, and each async op costs far more than the syscall it wraps
 * (measured: 0.19 s of CPU per poll of 2,000 files, most of it op overhead),
 * which is what an idle exporter spends its CPU on.
 */
export async function scanFiles(options: ScanOptions): Promise<ScanResult> {
  const result: ScanResult = {
    files: [],
    problems: [],
    walkErrors: [],
    skipped: [],
    emptyPatterns: [],
    duplicates: [],
    dirs: new Set(),
  };
  const excludes = (options.excludePaths ?? []).map(pathRegExp);
  /** The path found first for each file identity (device:inode). */
  const found = new Map<string, string>();
  const seen = new Set<string>();
  // The walk and the lstats are synchronous calls: 20,000 files held the event loop for
  // ~380 ms in one stretch (a /healthz probe waited that long) before the scan was sliced.
  const slice = new TimeSlice();
  const add = async (path: string, literal: boolean) => {
    if (seen.has(path) || excludes.some((re) => re.test(path))) return;
    seen.add(path);
    const pause = slice.pause();
    if (pause) await pause;
    await inspect(path, literal, options, result, add, found);
  };
  for (const pattern of options.paths) {
    if (!isGlob(pattern)) {
      await add(pattern, true);
      continue;
    }
    const { root, segments } = splitPattern(pattern);
    const matches: string[] = [];
    const walkErrors = result.walkErrors.length;
    await walk(root, segments, options, matches, result, slice, new Set(), true);
    if (matches.length === 0 && result.walkErrors.length === walkErrors) {
      result.emptyPatterns.push(pattern);
    }
    for (const m of matches.sort()) await add(m, false);
  }
  return result;
}

async function walk(
  dir: string,
  segments: readonly string[],
  options: ScanOptions,
  out: string[],
  result: ScanResult,
  slice: TimeSlice,
  visited: Set<string>,
  root = false,
): Promise<void> {
  const [seg, ...rest] = segments;
  if (seg === undefined) {
    out.push(dir);
    return;
  }
  if (!isGlob(seg)) return walk(join(dir, seg), rest, options, out, result, slice, visited);
  const pause = slice.pause();
  if (pause) await pause;
  let entries: Deno.DirEntry[];
  result.dirs.add(dir);
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (err) {
    // As upstream: a glob's root that cannot be listed (missing too) is a walk error, so the
    // source is down while it lasts; a directory deeper down that vanished matches nothing.
    const gone = err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory;
    if (root || !gone) {
      result.walkErrors.push({
        path: dir,
        reason: walkReason(err),
        message: (err as Error).message,
      });
    }
    return;
  }
  if (seg === "**") {
    await walk(dir, rest, options, out, result, slice, visited);
    for (const e of entries) {
      if (
        e.isDirectory ||
        (e.isSymlink && options.followSymlinkDirs && isDirSync(join(dir, e.name)))
      ) {
        const real = realPath(join(dir, e.name));
        // Symlinked directories can loop back on themselves: visit each real directory once.
        if (real === undefined || visited.has(real)) continue;
        visited.add(real);
        await walk(join(dir, e.name), segments, options, out, result, slice, visited);
      }
    }
    return;
  }
  const re = segmentRegExp(seg);
  for (const e of entries) {
    if (!re.test(e.name)) continue;
    const child = join(dir, e.name);
    if (rest.length === 0) out.push(child);
    else if (e.isDirectory || (e.isSymlink && isDirSync(child))) {
      await walk(child, rest, options, out, result, slice, visited);
    }
  }
}

async function inspect(
  path: string,
  literal: boolean,
  options: ScanOptions,
  result: ScanResult,
  add: (path: string, literal: boolean) => Promise<void>,
  found: Map<string, string>,
): Promise<void> {
  let info: Deno.FileInfo;
  result.dirs.add(dirname(path));
  try {
    info = Deno.lstatSync(path);
  } catch (err) {
    result.problems.push(fsProblem(path, err));
    return;
  }
  let target = path;
  if (info.isSymlink) {
    if (options.followSymlinks === false) return;
    const followed = followSymlink(path, options.pathMappings ?? [], result.dirs);
    if ("reason" in followed) {
      result.problems.push(followed);
      return;
    }
    target = followed.target;
    info = followed.info;
  }
  if (info.isDirectory) {
    // A directory named explicitly means its entries (one level); a directory a
    // glob happened to match (Kubernetes' `..data`) is skipped.
    if (!literal) return;
    result.dirs.add(target);
    try {
      const names: string[] = [];
      for (const e of Deno.readDirSync(target)) names.push(e.name);
      for (const name of names.sort()) await add(join(path, name), false);
    } catch (err) {
      result.walkErrors.push({ path, reason: walkReason(err), message: (err as Error).message });
    }
    return;
  }
  if (!info.isFile) {
    // Sockets, FIFOs, devices: never certificates, and opening a FIFO blocks until a writer
    // comes. Named on purpose, it is an error; matched by a pattern, it is skipped.
    const problem: ScanProblem = {
      path,
      reason: "read_failed",
      message: `Not a regular file (${specialType(info)}): ${target}`,
    };
    (literal ? result.problems : result.skipped).push(problem);
    return;
  }
  // One file, one bundle: the first path (patterns in order, matches sorted) stands for it.
  const identity = `${info.dev}:${info.ino}`;
  const first = found.get(identity);
  if (first !== undefined) {
    result.duplicates.push({ path, of: first });
    return;
  }
  found.set(identity, path);
  // join() makes one flat string; a template literal made a tree of five strings, kept in
  // the source's version map (20,000 files: 2.4 MiB less live heap, from heap snapshots).
  const version = [info.ino, info.mtime?.getTime(), info.size].join(":");
  result.files.push({ path, target, version });
}

function specialType(info: Deno.FileInfo): string {
  if (info.isFifo) return "FIFO";
  if (info.isSocket) return "socket";
  if (info.isCharDevice) return "character device";
  if (info.isBlockDevice) return "block device";
  return "special file";
}

/** Upstream's reasons for a directory that cannot be listed. */
function walkReason(err: unknown): Reason {
  if (err instanceof Deno.errors.NotADirectory) return "walk_error";
  const reason = reasonForFsError(err);
  return reason === "read_failed" ? "walk_error" : reason;
}

type Followed = { target: string; info: Deno.FileInfo } | ScanProblem;

/**
 * Follows a symlink chain by hand so absolute targets can be translated
 * (a DaemonSet sees the host at /mnt/host, but kubelet's links say /var/lib/...).
 * With mappings declared, the final target must stay inside one of them.
 */
function followSymlink(
  path: string,
  mappings: readonly { from: string; to: string }[],
  dirs: Set<string>,
): Followed {
  let current = path;
  for (let hop = 0; hop < MAX_SYMLINK_HOPS; hop++) {
    let link: string;
    try {
      link = Deno.readLinkSync(current);
    } catch (err) {
      return fsProblem(path, err);
    }
    // A relative target is relative to the directory the link really is in: on Fedora,
    // /etc/ssl/certs is itself a link, and its bundle's `../../..` must start from there.
    const from = dirname(current);
    current = isAbsolute(link)
      ? mapPath(link, mappings)
      : resolve(mappings.length ? from : realPath(from) ?? from, link);
    dirs.add(dirname(current));
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(current);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        return {
          path,
          reason: "broken_symlink",
          message: `Symlink target does not exist: ${current}`,
        };
      }
      return fsProblem(path, err);
    }
    if (info.isSymlink) continue;
    if (mappings.length > 0 && !mappings.some((m) => within(current, m.to))) {
      return {
        path,
        reason: "out_of_scope_symlink",
        message: `Symlink leaves the mapped paths: ${current}`,
      };
    }
    try {
      // stat (not lstat) so intermediate directory links resolve as the OS sees them.
      return { target: current, info: Deno.statSync(current) };
    } catch (err) {
      return fsProblem(path, err);
    }
  }
  return { path, reason: "broken_symlink", message: "Too many levels of symbolic links" };
}

/** Translates an absolute host path with the longest matching `from` prefix. */
export function mapPath(path: string, mappings: readonly { from: string; to: string }[]): string {
  let best: { from: string; to: string } | undefined;
  for (const m of mappings) {
    if (within(path, m.from) && (!best || m.from.length > best.from.length)) best = m;
  }
  if (!best) return path;
  const rest = path.slice(best.from.replace(/\/+$/, "").length);
  return best.to.replace(/\/+$/, "") + (rest.startsWith("/") || rest === "" ? rest : "/" + rest);
}

function within(path: string, prefix: string): boolean {
  const p = prefix.replace(/\/+$/, "");
  return p === "" || path === p || path.startsWith(p + "/");
}
