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

/** Files read at run time that a compiled binary must embed. */
export const INCLUDE_FILES: readonly string[] = ["src/config/default.yaml"];
