/**
 * Where the API server is and how to authenticate to it, read from a kubeconfig
 * or the in-cluster service account. Read here rather than with client-node's
 * KubeConfig, whose import alone costs ~58 MiB of RSS (it pulls every generated
 * API model): more than half the memory budget of the whole exporter. client-node
 * is still loaded, on demand, for the auth plugins it implements (exec,
 * auth-provider).
 */
import { dirname, isAbsolute, join } from "node:path";
import { type KubeconfigDocument, parseKubeconfig } from "../kubeconfig_file.ts";
import { isFileSync, readRegularFileSync } from "../fs.ts";

const SERVICE_ACCOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";
/** Bound service-account tokens rotate (hourly by default): re-read this often. */
const TOKEN_TTL_MS = 60_000;

export interface KubeTarget {
  /** Base URL, without a trailing slash. */
  readonly server: string;
  readonly caPem?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  readonly proxyUrl?: string;
  readonly skipTLSVerify: boolean;
  /** Where this came from, for logs: a file and context, or "in-cluster". */
  readonly origin: string;
  /** Authentication headers for the next request. */
  headers(): Promise<Record<string, string>>;
}

export interface LoadOptions {
  /** Kubeconfig file; else `KUBECONFIG`, else the in-cluster service account, else `~/.kube/config`. */
  readonly kubeconfig?: string;
  /** Context to use instead of the kubeconfig's current one. */
  readonly context?: string;
  readonly env?: (name: string) => string | undefined;
  /** Where the pod's service account is mounted. @default "/var/run/secrets/kubernetes.io/serviceaccount" */
  readonly serviceAccountDir?: string;
  /**
   * Largest kubeconfig, CA, certificate, key or token file read (`limits.maxInputBytes`):
   * each is stat'ed first, so `/dev/zero` or a FIFO named in a kubeconfig fails at once
   * instead of eating memory or blocking startup.
   */
  readonly maxFileBytes: number;
}

/** Loads the API target in the documented order of precedence. */
export function loadKubeconfig(opts: LoadOptions): KubeTarget {
  const env = opts.env ?? ((n: string) => Deno.env.get(n));
  const read = (path: string) =>
    new TextDecoder().decode(readRegularFileSync(path, opts.maxFileBytes));
  if (opts.kubeconfig) return fromFiles([opts.kubeconfig], opts.context, read);
  const list = env("KUBECONFIG");
  if (list) return fromFiles(list.split(":").filter(Boolean), opts.context, read);
  const host = env("KUBERNETES_SERVICE_HOST");
  const sa = opts.serviceAccountDir ?? SERVICE_ACCOUNT;
  if (host && isFileSync(`${sa}/token`)) {
    return inCluster(host, env("KUBERNETES_SERVICE_PORT") ?? "443", sa, read);
  }
  return fromFiles([join(env("HOME") ?? "/", ".kube", "config")], opts.context, read);
}

/** Reads a small text file (bounded: see {@link LoadOptions.maxFileBytes}). */
type ReadText = (path: string) => string;

function inCluster(host: string, port: string, sa: string, read: ReadText): KubeTarget {
  const token = cachedFile(`${sa}/token`, read);
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    caPem: read(`${sa}/ca.crt`),
    skipTLSVerify: false,
    origin: "in-cluster service account",
    headers: async () => ({ Authorization: `Bearer ${(await token()).trim()}` }),
  };
}

/** A file's content, re-read at most every TOKEN_TTL_MS (a token file is a few KiB: read in one go). */
function cachedFile(path: string, read: ReadText): () => Promise<string> {
  let value = "";
  let at = -Infinity;
  return () => {
    if (Date.now() - at > TOKEN_TTL_MS) {
      try {
        value = read(path);
      } catch (err) {
        return Promise.reject(err);
      }
      at = Date.now();
    }
    return Promise.resolve(value);
  };
}

/**
 * Merges kubeconfig files as kubectl does (the first file that defines a name
 * or the current context wins) and resolves the current context.
 */
function fromFiles(
  files: readonly string[],
  contextOverride: string | undefined,
  read: ReadText,
): KubeTarget {
  const pick = new Map<string, { value: Readonly<Record<string, unknown>>; dir: string }>();
  let current: string | undefined;
  for (const file of files) {
    let doc: KubeconfigDocument;
    try {
      doc = parseKubeconfig(read(file));
    } catch (err) {
      if (files.length > 1 && err instanceof Deno.errors.NotFound) continue; // kubectl skips them too
      throw new Error(`Cannot load kubeconfig ${file}: ${(err as Error).message}`, { cause: err });
    }
    current ??= doc.currentContext;
    for (const section of ["clusters", "users", "contexts"] as const) {
      for (const entry of doc[section]) {
        const key = `${section}/${entry.name}`;
        if (!pick.has(key)) pick.set(key, { value: entry.body, dir: dirname(file) });
      }
    }
  }
  const contextName = contextOverride ?? current;
  const where = `kubeconfig ${files.join(":")}`;
  if (!contextName) throw new Error(`No current-context in ${where}`);
  const context = pick.get(`contexts/${contextName}`)?.value;
  if (!context) throw new Error(`Context "${contextName}" not found in ${where}`);
  const cluster = pick.get(`clusters/${context.cluster}`);
  if (!cluster) {
    throw new Error(
      `Cluster "${context.cluster}" of context "${contextName}" not found in ${where}`,
    );
  }
  const user = context.user === undefined ? undefined : pick.get(`users/${context.user}`);
  const c = cluster.value;
  const u = user?.value ?? {};
  const server = String(c.server ?? "").replace(/\/+$/, "");
  if (!server) throw new Error(`Cluster "${context.cluster}" has no server in ${where}`);
  const caPem = material(
    c["certificate-authority-data"],
    c["certificate-authority"],
    cluster.dir,
    read,
  );
  const certPem = material(u["client-certificate-data"], u["client-certificate"], user?.dir, read);
  const keyPem = material(u["client-key-data"], u["client-key"], user?.dir, read);
  return {
    server,
    ...(caPem ? { caPem } : {}),
    ...(certPem ? { certPem } : {}),
    ...(keyPem ? { keyPem } : {}),
    ...(typeof c["proxy-url"] === "string" ? { proxyUrl: c["proxy-url"] } : {}),
    skipTLSVerify: c["insecure-skip-tls-verify"] === true,
    origin: `${where} (context ${contextName})`,
    headers: userHeaders(u, user?.dir, files[0]!, contextName, read),
  };
}

/** PEM text from a `*-data` field (base64) or the file it names (relative to its kubeconfig). */
function material(
  data: unknown,
  file: unknown,
  dir: string | undefined,
  read: ReadText,
): string | undefined {
  if (typeof data === "string" && data !== "") {
    try {
      return new TextDecoder().decode(Uint8Array.fromBase64(data));
    } catch (err) {
      throw new Error("Invalid base64 in a *-data field", { cause: err });
    }
  }
  if (typeof file === "string" && file !== "") {
    return read(isAbsolute(file) || !dir ? file : join(dir, file));
  }
  return undefined;
}

function userHeaders(
  u: Record<string, unknown>,
  dir: string | undefined,
  file: string,
  context: string,
  read: ReadText,
): () => Promise<Record<string, string>> {
  const extra: Record<string, string> = {};
  if (typeof u.as === "string") extra["Impersonate-User"] = u.as;
  if (typeof u.token === "string" && u.token !== "") {
    const h = { ...extra, Authorization: `Bearer ${u.token}` };
    return () => Promise.resolve(h);
  }
  if (typeof u.tokenFile === "string" && u.tokenFile !== "") {
    const token = cachedFile(
      isAbsolute(u.tokenFile) || !dir ? u.tokenFile : join(dir, u.tokenFile),
      read,
    );
    return async () => ({ ...extra, Authorization: `Bearer ${(await token()).trim()}` });
  }
  if (typeof u.username === "string") {
    const h = {
      ...extra,
      Authorization: `Basic ${btoa(`${u.username}:${String(u.password ?? "")}`)}`,
    };
    return () => Promise.resolve(h);
  }
  if (u.exec || u["auth-provider"]) return pluginHeaders(file, context, extra);
  return () => Promise.resolve({ ...extra });
}

/** exec and auth-provider plugins: client-node implements them, so it is loaded for them only. */
function pluginHeaders(file: string, context: string, extra: Record<string, string>) {
  let kc: Promise<unknown> | undefined;
  return async () => {
    kc ??= import("@kubernetes/client-node").then(({ KubeConfig }) => {
      const k = new KubeConfig();
      k.loadFromFile(file);
      k.setCurrentContext(context);
      return k;
    });
    const k = (await kc) as {
      applyAuthorizationHeader?: (o: { headers: Record<string, string> }) => Promise<void>;
    };
    const opts = { headers: {} as Record<string, string> };
    // TypeScript-private in client-node, but the one method that runs every plugin without a Node agent.
    await k.applyAuthorizationHeader?.call(k, opts);
    return { ...extra, ...opts.headers };
  };
}
