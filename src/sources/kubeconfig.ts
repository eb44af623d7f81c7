import { dirname, isAbsolute, join } from "node:path";
import type { Bundle, Item, SourceId } from "../bundle.ts";
import { type Reason, reasonForFsError } from "../errors.ts";
import { type NamedEntry, parseKubeconfig } from "../kubeconfig_file.ts";
import { FileTooLargeError, NotRegularFileError, readRegularFile } from "../fs.ts";
import { decodeItemsAsync, wholeError } from "../parse/decode.ts";
import { problemBundle, scanFiles } from "./file_scan.ts";
import type { SourceDeps } from "./kind.ts";
import type { KubeconfigSourceSpec } from "./kinds/kubeconfig.ts";
import { pollLoop, type Source } from "./source.ts";

export interface KubeconfigSourceOptions extends SourceDeps {
  readonly spec: KubeconfigSourceSpec;
}

/** One certificate slot of a kubeconfig: a cluster CA or a user client certificate. */
interface Entry {
  readonly kind: "cluster" | "user";
  readonly name: string;
  readonly data?: string;
  readonly file?: string;
}

const decoder = new TextDecoder();

/**
 * Certificates referenced by kubeconfig files: `certificate-authority(-data)`
 * of clusters and `client-certificate(-data)` of users. Relative file
 * references resolve against the kubeconfig's own directory, as kubectl does.
 */
export class KubeconfigSource implements Source {
  readonly id: SourceId;
  readonly #o: KubeconfigSourceOptions;
  readonly #versions = new Map<string, string>();
  /** Reasons of the error items of each bundle held, counted again while it is unchanged. */
  #errors = new Map<string, readonly Reason[]>();

  constructor(options: KubeconfigSourceOptions) {
    this.#o = options;
    this.id = { kind: "kubeconfig", name: options.spec.name };
    options.sink.register(this.id);
  }

  run(signal: AbortSignal): Promise<void> {
    return pollLoop(this.id, this.#o, this.#o.spec.refreshInterval, () => this.sync(), signal);
  }

  async sync(): Promise<void> {
    const { sink } = this.#o;
    const scan = await scanFiles({ paths: this.#o.spec.paths });
    const keep = new Set<string>();
    const errors = new Map<string, readonly Reason[]>();
    // Upstream reads every kubeconfig again each cycle, so each of its errors is counted
    // again each cycle: unchanged bundles are not re-put, their errors are re-counted.
    const put = (bundle: Bundle) => {
      keep.add(bundle.ref);
      const reasons = bundle.items.length
        ? bundle.items.flatMap((i) => (i.kind === "error" ? [i.reason] : []))
        : this.#errors.get(bundle.ref) ?? [];
      if (reasons.length) errors.set(bundle.ref, reasons);
      if (bundle.items.length) sink.put(this.id, bundle);
      else for (const r of reasons) sink.countError(this.id, r);
    };
    for (const p of scan.problems) {
      // A kubeconfig that cannot be read, missing included, is upstream's read_failed.
      const reason = p.reason === "not_found" || p.reason === "permission_denied"
        ? "read_failed"
        : p.reason;
      if (this.#versions.get(p.path) === `error:${reason}`) {
        put({ ref: p.path, location: { filepath: p.path }, items: [] });
        continue;
      }
      this.#versions.set(p.path, `error:${reason}`);
      this.#o.logger.warn("Cannot read kubeconfig", { path: p.path, reason, error: p.message });
      put(problemBundle({ ...p, reason }));
    }
    for (const w of scan.walkErrors) sink.countError(this.id, w.reason);
    for (const file of scan.files) {
      for (const bundle of await this.#readKubeconfig(file.path, file.target, file.version)) {
        put(bundle);
      }
    }
    for (const ref of this.#versions.keys()) if (!keep.has(ref)) this.#versions.delete(ref);
    this.#errors = errors;
    sink.retain(this.id, keep);
    sink.setUp(this.id, scan.walkErrors.length === 0);
  }

  /** Returns the bundles of one kubeconfig; unchanged ones come back with no items (kept, not re-put). */
  async #readKubeconfig(path: string, target: string, version: string): Promise<Bundle[]> {
    let entries: Entry[];
    try {
      const bytes = await readRegularFile(target, this.#o.limits.maxInputBytes);
      entries = parseEntries(decoder.decode(bytes));
    } catch (err) {
      const reason = err instanceof FileTooLargeError
        ? "too_large"
        : err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied ||
            err instanceof NotRegularFileError
        ? "read_failed"
        : "decode_failed";
      if (this.#versions.get(path) === `${version}:${reason}`) {
        return [{ ref: path, location: { filepath: path }, items: [] }];
      }
      this.#versions.set(path, `${version}:${reason}`);
      this.#o.logger.warn("Cannot parse kubeconfig", { path, reason, error: err });
      return [problemBundle({ path, reason, message: (err as Error).message })];
    }
    const base = dirname(path);
    const out: Bundle[] = [];
    for (const entry of entries) {
      const ref = `${path}#${entry.kind}/${entry.name}`;
      const location = { filepath: path, embeddedKind: entry.kind, embeddedKey: entry.name };
      const refFile = entry.file === undefined
        ? undefined
        : isAbsolute(entry.file)
        ? entry.file
        : join(base, entry.file);
      const entryVersion = `${version}:${refFile ? await fileVersion(refFile) : ""}`;
      if (this.#o.spec.skipUnchanged && this.#versions.get(ref) === entryVersion) {
        out.push({ ref, location, items: [] });
        continue;
      }
      this.#versions.set(ref, entryVersion);
      out.push({ ref, location, items: await this.#entryItems(entry, refFile, path) });
    }
    return out;
  }

  async #entryItems(entry: Entry, refFile: string | undefined, path: string): Promise<Item[]> {
    let data: Uint8Array;
    if (entry.data !== undefined) {
      try {
        data = Uint8Array.fromBase64(entry.data.replace(/\s+/g, ""));
      } catch {
        return [wholeError("decode_failed", `Invalid base64 in ${entry.kind} "${entry.name}"`)];
      }
    } else {
      try {
        // `certificate-authority: /dev/zero` or a FIFO: refused on the open descriptor.
        data = await readRegularFile(refFile!, this.#o.limits.maxInputBytes);
      } catch (err) {
        // Upstream's reason for a referenced file that cannot be read, missing included.
        const reason = err instanceof FileTooLargeError ? "too_large" : "read_failed";
        this.#o.logger.warn("Cannot read file referenced by kubeconfig", {
          path,
          file: refFile,
          reason,
          error: err,
        });
        return [wholeError(reason, `${refFile}: ${(err as Error).message}`)];
      }
    }
    const { sink } = this.#o;
    const items = await decodeItemsAsync(data, {
      formats: ["pem", "der"],
      cache: this.#o.cache,
      limits: this.#o.limits,
      onParse: (format, seconds) => sink.observeParse(format, seconds),
    });
    for (const i of items) {
      if (i.kind === "error") {
        this.#o.logger.warn("Bad certificate in kubeconfig", {
          path,
          entry: `${entry.kind}/${entry.name}`,
          reason: i.reason,
        });
      }
    }
    return items;
  }
}

async function fileVersion(path: string): Promise<string> {
  try {
    const s = await Deno.stat(path);
    return `${s.ino}:${s.mtime?.getTime()}:${s.size}`;
  } catch (err) {
    return `error:${reasonForFsError(err)}`;
  }
}

/** Extracts the certificate slots; throws on YAML that is not a kubeconfig. */
export function parseEntries(text: string): Entry[] {
  const doc = parseKubeconfig(text);
  const out: Entry[] = [];
  const pick = (
    list: readonly NamedEntry[],
    kind: "cluster" | "user",
    dataKey: string,
    fileKey: string,
  ) => {
    for (const { name, body } of list) {
      const data = body[dataKey];
      const file = body[fileKey];
      if (typeof data === "string" && data !== "") out.push({ kind, name, data });
      else if (typeof file === "string" && file !== "") out.push({ kind, name, file });
    }
  };
  pick(doc.clusters, "cluster", "certificate-authority-data", "certificate-authority");
  pick(doc.users, "user", "client-certificate-data", "client-certificate");
  return out;
}
