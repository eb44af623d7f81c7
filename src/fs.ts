/** Filesystem questions asked in several places: a path that cannot be stat'ed answers no. */
import { constants, promises as fsp } from "node:fs";
import type { FileHandle } from "node:fs/promises";

/** Whether anything exists at `path` (following symlinks). */
export function exists(path: string | URL): Promise<boolean> {
  return Deno.stat(path).then(() => true, () => false);
}

/** Whether `path` is a regular file (following symlinks). */
export function isFileSync(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Whether `path` is a directory (following symlinks). */
export function isDirSync(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** What was at a path instead of a regular file: a FIFO, a device, a socket, a directory. */
export class NotRegularFileError extends Error {
  readonly type: string;
  constructor(path: string, type: string) {
    super(`Not a regular file (${type}): ${path}`);
    this.name = "NotRegularFileError";
    this.type = type;
  }
}

/** A file over the size limit, refused before its bytes are read. */
export class FileTooLargeError extends RangeError {
  readonly size: number;
  readonly limit: number;
  constructor(path: string, size: number, limit: number) {
    super(`File of ${size} bytes is over the limit of ${limit}: ${path}`);
    this.name = "FileTooLargeError";
    this.size = size;
    this.limit = limit;
  }
}

function fileType(
  st: {
    isDirectory(): boolean;
    isFIFO(): boolean;
    isSocket(): boolean;
    isCharacterDevice(): boolean;
    isBlockDevice(): boolean;
  },
): string {
  if (st.isDirectory()) return "directory";
  if (st.isFIFO()) return "FIFO";
  if (st.isSocket()) return "socket";
  if (st.isCharacterDevice()) return "character device";
  if (st.isBlockDevice()) return "block device";
  return "special file";
}

/** node:fs errors carry a `code`; the rest of the code base tells errors apart by Deno's classes. */
function denoError(err: unknown): unknown {
  const code = (err as { code?: string })?.code;
  const message = (err as Error)?.message ?? String(err);
  if (code === "ENOENT") return new Deno.errors.NotFound(message, { cause: err });
  if (code === "EACCES" || code === "EPERM") {
    return new Deno.errors.PermissionDenied(message, { cause: err });
  }
  if (code === "ENOTDIR") return new Deno.errors.NotADirectory(message, { cause: err });
  return err;
}

/**
 * Reads a file that must be a regular file of at most `maxBytes`. It is opened
 * with O_NONBLOCK and checked with fstat on the open descriptor (no window for a
 * swap between check and read): a FIFO, a device or a socket is refused at once
 * (opening a FIFO for reading otherwise blocks until a writer comes, and reading
 * /dev/zero never ends); a size over the limit is refused before any byte is read.
 * At most `maxBytes + 1` bytes are ever read, so a file that grows meanwhile is
 * refused too. Throws {@link NotRegularFileError}, {@link FileTooLargeError} or
 * the error of the open (as `Deno.errors.*` for a missing or forbidden file).
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<Uint8Array> {
  let handle: FileHandle;
  try {
    handle = await fsp.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw denoError(err);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new NotRegularFileError(path, fileType(st));
    if (st.size > maxBytes) throw new FileTooLargeError(path, st.size, maxBytes);
    // One byte more than allowed tells a file that grew past the limit from one that fits;
    // st.size is a hint only (0 for procfs files), the buffer grows as bytes come.
    let buf = new Uint8Array(Math.min(maxBytes + 1, Math.max(st.size + 1, 4096)));
    let length = 0;
    while (true) {
      if (length === buf.length) {
        if (buf.length >= maxBytes + 1) break;
        const bigger = new Uint8Array(Math.min(maxBytes + 1, buf.length * 2));
        bigger.set(buf);
        buf = bigger;
      }
      const { bytesRead } = await handle.read(buf, length, buf.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) throw new FileTooLargeError(path, length, maxBytes);
    return length === buf.length ? buf : buf.slice(0, length);
  } catch (err) {
    throw denoError(err);
  } finally {
    await handle.close().catch(() => {});
  }
}
