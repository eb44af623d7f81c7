/**
 * Tells a polling source whether its next poll can be skipped: nothing changed
 * in the directories its last scan went through. A poll of 2,000 files is 2,000
 * metadata calls, ~50 ms of CPU with the garbage they leave, which was most of
 * an idle exporter's CPU; with change notifications (inotify, through
 * `Deno.watchFs`) an unchanged tree costs nothing between full scans.
 *
 * Notifications are a shortcut, never the source of truth: any event, a watch
 * that cannot be set up (the inotify limit, a missing directory) or ends makes
 * the next poll scan; and a full scan still runs every `fullScanEvery` polls,
 * for filesystems that change without telling (NFS, remounts).
 */
import { lstatSync } from "node:fs";
import { dirname, join } from "node:path";
import { isDirSync } from "../fs.ts";
import type { Logger } from "../log.ts";

export interface DirWatchOptions {
  readonly logger: Logger;
  /** A full scan at least every this many polls. @default 10 */
  readonly fullScanEvery?: number;
}

export class DirWatch {
  readonly #o: DirWatchOptions;
  #watcher: Deno.FsWatcher | undefined;
  /** The watched directories, sorted and joined: a new set means a new watcher. */
  #key = "";
  /** A FIFO was seen in a watched directory: this source polls from then on. */
  #fifoSeen = false;
  #dirty = true;
  #skipped = 0;
  #warned = false;

  constructor(options: DirWatchOptions) {
    this.#o = options;
  }

  /** Whether the coming poll must scan. Counts the polls it lets skip. */
  mustScan(): boolean {
    const every = this.#o.fullScanEvery ?? 10;
    if (this.#dirty || this.#watcher === undefined || this.#skipped + 1 >= every) return true;
    this.#skipped++;
    return false;
  }

  /** A full scan just ran through `dirs`: watch them until the next one. */
  scanned(dirs: Iterable<string>): void {
    this.#dirty = false;
    this.#skipped = 0;
    const watched = [...new Set([...dirs].map(nearestExisting))].sort();
    const key = watched.join("\0");
    // The watcher's thread opens a FIFO it sees, and that open waits for a writer: the
    // process could then never exit, and no change would be reported again. A directory
    // holding one is polled instead, also when the FIFO appears while it is watched.
    const fifo = this.#fifoSeen ? "" : watched.find(holdsFifo);
    if (this.#watcher && key === this.#key && fifo === undefined) return;
    this.close();
    this.#key = key;
    if (watched.length === 0) return;
    if (fifo !== undefined) {
      // For good: a watcher left waiting on a FIFO makes the next one hang the process.
      this.#fifoSeen = true;
      if (!this.#warned) {
        this.#warned = true;
        this.#o.logger.warn(
          "A FIFO in a watched directory: no change notifications, every poll scans",
          {
            directory: fifo,
          },
        );
      }
      return;
    }
    let watcher: Deno.FsWatcher;
    try {
      watcher = Deno.watchFs(watched, { recursive: false });
    } catch (err) {
      if (!this.#warned) {
        this.#warned = true;
        this.#o.logger.info("No change notifications: every poll scans", {
          directories: watched.length,
          error: err,
        });
      }
      return;
    }
    this.#watcher = watcher;
    // What changed between the scan and this watch went unseen: scan once more.
    this.#dirty = true;
    this.#follow(watcher);
  }

  async #follow(watcher: Deno.FsWatcher): Promise<void> {
    try {
      // Reads make no events; any event (a write, a rename, a link swap) may change a scan.
      for await (const _ of watcher) this.#dirty = true;
    } catch (err) {
      this.#o.logger.debug("Change notifications ended", { error: err });
    } finally {
      if (this.#watcher === watcher) {
        this.#watcher = undefined;
        this.#dirty = true;
      }
    }
  }

  close(): void {
    const w = this.#watcher;
    this.#watcher = undefined;
    // A FIFO created in a watched directory after the watch began leaves the watcher's thread
    // waiting in open(); dropping the watcher then joins that thread on the main thread and
    // the process never exits. Such a watcher is left open (it ends with the process).
    if (w && this.#key.split("\0").some(holdsFifo)) {
      this.#o.logger.warn("A FIFO appeared in a watched directory: its watcher is left open", {
        directories: this.#key.split("\0"),
      });
      return;
    }
    try {
      w?.close();
    } catch {
      // already closed
    }
  }
}

/** Whether `dir` holds a FIFO (entries are lstat'ed: nothing is opened). */
function holdsFifo(dir: string): boolean {
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isFile || e.isDirectory || e.isSymlink) continue;
      try {
        if (lstatSync(join(dir, e.name)).isFIFO()) return true;
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // unreadable: the scan reports it
  }
  return false;
}

/** `dir`, or its nearest ancestor that exists (where `dir` would appear). */
function nearestExisting(dir: string): string {
  let d = dir;
  while (true) {
    if (isDirSync(d)) return d; // else missing or unreadable: look higher
    const up = dirname(d);
    if (up === d) return d;
    d = up;
  }
}
