/**
 * The permissions the exporter runs with — the single source of truth for
 * `deno task start`, `deno task compile` and the end-to-end tests, so a
 * missing permission fails a test here instead of on a user's host.
 *
 * - read: certificates, kubeconfigs and the config file can live anywhere.
 * - net: the listeners and the Kubernetes API.
 * - env: KUBECONFIG, HOME, XDG_CONFIG_HOME, KUBERNETES_SERVICE_HOST/PORT.
 * - sys: client-node and the process metrics ask for hostname/OS facts.
 */
export const PERMISSION_FLAGS: readonly string[] = [
  "--allow-read",
  "--allow-net",
  "--allow-env",
  "--allow-sys",
];

/**
 * V8 settings baked into the binary, each measured on 10,000 certificates:
 *
 * - `--max-semi-space-size=1`: a 1 MiB young generation (default 16 MiB) lets
 *   parse and render garbage die young instead of inflating the old generation
 *   (131 instead of 163 MiB RSS), with no visible cost in sync time or latency.
 * - `--no-opt --no-sparkplug`: no TurboFan and no baseline compiler; Maglev still
 *   optimizes hot code. Their compiled code, compiler memory and the binary's
 *   pages they touch cost ~8 MiB of RSS (95 instead of 103 MiB for 10,000 TLS
 *   Secrets); the exporter mostly waits, and sync time moved from 0.79 to 0.9 s.
 * - `--optimize-for-size`: V8 grows its heap less eagerly and compacts more. At
 *   100,000 certificates, RSS after the first render 242-320 -> 220-225 MiB and
 *   after 50 gzip scrapes ~201 MiB (sync 4.1-4.5 -> 4.8 s); 10,000 TLS Secrets
 *   steady 98.5 -> 93.6 MiB; files-10k plain-text p99 24-42 -> 48-54 ms, the one
 *   thing it costs.
 */
export const V8_FLAGS: readonly string[] = [
  "--v8-flags=--max-semi-space-size=1,--no-opt,--no-sparkplug,--optimize-for-size",
];

/** Everything `deno run` / `deno compile` gets besides the entry point: permissions and V8 settings. */
export const RUNTIME_FLAGS: readonly string[] = [...PERMISSION_FLAGS, ...V8_FLAGS];

/** Files read at run time that a compiled binary must embed. */
export const INCLUDE_FILES: readonly string[] = [
  "src/config/default.yaml",
  // Loaded as Workers (basic auth, PKCS#12), which deno compile does not follow by itself.
  "src/server/_bcrypt_worker.ts",
  "src/parse/_pkcs12_worker.ts",
];
