import { bool, duration, type Infer, list, obj, oneOf, str } from "../../config/spec.ts";
import { FORMATS } from "../../format.ts";
import { defineKind, type Inherited } from "../kind.ts";
import type { Source } from "../source.ts";
import { excludePaths, filePassphrases, inheritPoll, paths, sourceName } from "./_shared.ts";

const schema = obj({
  name: sourceName,
  paths: paths(),
  excludePaths: excludePaths(),
  followSymlinks: bool(true),
  followSymlinkDirs: bool(false),
  /** Inherits `cache.filePoll.interval`. */
  refreshInterval: duration(undefined, 100),
  formats: list(oneOf(FORMATS), { default: ["pem"], emptyIsDefault: true }),
  pathMappings: list(
    obj({ from: str({ nonEmpty: true }), to: str({ nonEmpty: true }) }, {
      required: ["from", "to"],
    }),
  ),
  pkcs12: filePassphrases,
  jks: filePassphrases,
}, { required: ["name", "paths"] });

export type KeystorePassphrases = NonNullable<Infer<typeof schema>["pkcs12"]>;

/** Everything a file source runs with, inherited values filled in. */
export type FileSourceSpec = ReturnType<typeof resolve>;

function resolve(raw: Infer<typeof schema>, { cache }: Inherited) {
  // Change notifications only make sense for directories of files.
  return { ...inheritPoll(raw, cache), watchChanges: cache.filePoll.watchChanges };
}

/** Certificates in files: PEM, DER and keystores found through paths, globs and directories. */
export const FILE_KIND = defineKind({
  kind: "file",
  schema,
  resolve,
  columns: [
    { name: "filename", value: (l) => l.filepath === undefined ? undefined : basename(l.filepath) },
    { name: "filepath", value: (l) => l.filepath, path: true },
  ],
  reports: ["file"],
  describe: (spec) => ({ paths: spec.paths, formats: spec.formats }),
  formats: (spec) => spec.formats,
  async create(spec, deps): Promise<Source> {
    const { FileSource } = await import("../file.ts");
    return new FileSource({ spec, ...deps });
  },
});

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
