/** Schema pieces more than one source kind uses. */
import { FORMATS } from "../../format.ts";
import {
  bool,
  duration,
  int,
  list,
  num,
  obj,
  oneOf,
  optional,
  refine,
  str,
} from "../../config/spec.ts";
import type { CacheSettings } from "../../config/cache.ts";
import { fileGlobError, shellGlobError } from "../glob.ts";

const passphraseFields = {
  passphrase: str(),
  passphraseFile: str({ path: true }),
  tryEmptyPassphrase: bool(),
};

/** `pkcs12:` / `jks:` of a file source. */
export const filePassphrases = optional(obj(passphraseFields));

/** `pkcs12:` / `jks:` of a Secret or ConfigMap rule: also from another key or Secret. */
export const objectPassphrases = optional(obj({
  ...passphraseFields,
  passphraseKey: str({ nonEmpty: true }),
  passphraseSecretRef: optional(obj(
    { namespace: str(), name: str({ nonEmpty: true }), key: str({ nonEmpty: true }) },
    { required: ["name", "key"] },
  )),
}, {
  ignored: { passphraseAnnotation: "read passphrases from a key or a Secret reference instead" },
}));

export const format = oneOf(FORMATS, "pem");
export const strings = () => list(str());
export const sourceName = str({ nonEmpty: true });

/** A list of patterns, each refused (located) as upstream would refuse it at startup. */
function patterns(check: (p: string) => string | undefined, options: { path?: boolean } = {}) {
  return list(refine(str({ nonEmpty: true, ...options }), (p, { d }, at, node) => {
    const why = p === undefined ? undefined : check(p);
    if (why) d.fail(`Invalid pattern "${p}": ${why}`, node, at);
    return p;
  }));
}

/** File paths and globs (`*`, `?`, `[...]`, `**`), relative ones against the config's directory. */
export const paths = () =>
  list(
    refine(str({ path: true, nonEmpty: true }), (p, { d }, at, node) => {
      const why = p === undefined ? undefined : fileGlobError(p);
      if (why) d.fail(`Invalid pattern "${p}": ${why}`, node, at);
      return p;
    }),
    { minItems: 1 },
  );
export const excludePaths = () => patterns(fileGlobError);

/** Name globs and label rules, of namespaces and objects alike. */
export const filterFields = {
  include: patterns(shellGlobError),
  exclude: patterns(shellGlobError),
  includeLabels: strings(),
  excludeLabels: strings(),
};

/** What every source talking to the Kubernetes API accepts. */
export const kubeClientFields = {
  name: sourceName,
  kubeconfig: str({ path: true, default: "" }),
  rateLimit: obj({
    qps: num({ default: 20, min: 0, outOfRangeIsDefault: true }),
    burst: int({ default: 30, min: 1, outOfRangeIsDefault: true }),
  }),
  // client-go's reflector default. Upstream defaults to 50 because its memory grows with
  // the page; here pages are streamed object by object, so only request count depends on it.
  // Upstream clamps rather than rejects (1..1000); so do we, for shared config files.
  listPageSize: int({ default: 500, min: 1, max: 1000, clamp: true }),
  // Largest object read from a LIST or a WATCH line; a larger one is skipped, counted as
  // x509_kube_transport_errors_total{reason="object_too_large"}, and the stream goes on.
  // The API server refuses requests over 3 MiB, so 8 MiB never cuts a real object.
  maxObjectBytes: int({ default: 8 * 1024 * 1024, min: 1024, outOfRangeIsDefault: true }),
  refreshInterval: duration(30 * 60_000, 1000),
};

/** Poll sources inherit their interval and `skipUnchanged` from `cache.filePoll`. */
export function inheritPoll<R extends { readonly refreshInterval?: number }>(
  raw: R,
  cache: CacheSettings,
) {
  return {
    ...raw,
    refreshInterval: raw.refreshInterval ?? cache.filePoll.interval,
    skipUnchanged: cache.filePoll.skipUnchanged,
  };
}
