/** Filesystem questions asked in several places: a path that cannot be stat'ed answers no. */

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

/**
 * Reads a file that must be a regular file of at most `maxBytes`. It is stat'ed
 * first: a FIFO, a device or a socket is refused at once (opening a FIFO for
 * reading blocks until a writer comes, and reading /dev/zero never ends), and a
 * size over the limit is refused before any byte is read. Then at most
 * `maxBytes + 1` bytes are read from the open file: a file that grew after the
 * stat (a sparse file being truncated up to 700 MiB) was read whole by
 * `Deno.readFile`, 2.5 s of event loop and 30 MiB kept. Deno's own calls, not
 * node:fs: measured on files-10k, node:fs file handles cost 0.9 s of first
 * sync and 15 MiB. Throws {@link NotRegularFileError}, {@link FileTooLargeError}
 * or Deno's error for a missing or forbidden file.
 */
export async function readRegularFile(
  path: string,
  maxBytes: number,
  info?: Deno.FileInfo,
): Promise<Uint8Array> {
  const into = new BoundedBuffer(path, info ?? await Deno.stat(path), maxBytes);
  using file = await Deno.open(path);
  for (let n = await file.read(into.room()); n !== null; n = await file.read(into.room())) {
    // A regular file reads short only at its end: no second call to hear EOF.
    if (into.add(n)) break;
  }
  return into.bytes();
}

/**
 * {@link readRegularFile} in synchronous calls, for the files read before
 * anything runs (the Kubernetes client's kubeconfig, its CA and key files) and
 * a scan's small files: same checks, same limit.
 */
export function readRegularFileSync(
  path: string,
  maxBytes: number,
  info?: Deno.FileInfo,
): Uint8Array {
  const into = new BoundedBuffer(path, info ?? Deno.statSync(path), maxBytes);
  using file = Deno.openSync(path);
  for (let n = file.readSync(into.room()); n !== null; n = file.readSync(into.room())) {
    if (into.add(n)) break;
  }
  return into.bytes();
}

/** What a bounded read collects: room for one byte past the limit tells "over" from "exact". */
class BoundedBuffer {
  readonly #path: string;
  readonly #max: number;
  /** procfs files stat as 0 bytes and may read short before their end: read those to EOF. */
  readonly #info: Deno.FileInfo;
  #buf: Uint8Array;
  #length = 0;

  constructor(path: string, info: Deno.FileInfo, maxBytes: number) {
    if (!info.isFile) throw new NotRegularFileError(path, denoFileType(info));
    if (info.size > maxBytes) throw new FileTooLargeError(path, info.size, maxBytes);
    this.#path = path;
    this.#max = maxBytes;
    this.#info = info;
    // st.size is a hint only: 0 for procfs files, stale for a file that changed since.
    this.#buf = new Uint8Array(Math.min(maxBytes, info.size) + 1);
  }

  /** Where the next read goes; grows the buffer, up to the limit, when it is full. */
  room(): Uint8Array {
    if (this.#length === this.#buf.length) {
      if (this.#length > this.#max) {
        throw new FileTooLargeError(this.#path, this.#length, this.#max);
      }
      const bigger = new Uint8Array(Math.min(this.#max + 1, Math.max(4096, this.#length * 2)));
      bigger.set(this.#buf);
      this.#buf = bigger;
    }
    return this.#buf.subarray(this.#length);
  }

  /** Counts `n` bytes read; true when the read came short of the room given (the end). */
  add(n: number): boolean {
    const short = this.#length + n < this.#buf.length;
    this.#length += n;
    return short && this.#info.size > 0;
  }

  bytes(): Uint8Array {
    if (this.#length > this.#max) throw new FileTooLargeError(this.#path, this.#length, this.#max);
    return this.#buf.subarray(0, this.#length);
  }
}

function denoFileType(info: Deno.FileInfo): string {
  if (info.isDirectory) return "directory";
  if (info.isFifo) return "FIFO";
  if (info.isSocket) return "socket";
  if (info.isCharDevice) return "character device";
  if (info.isBlockDevice) return "block device";
  return "special file";
}
