/**
 * An HTTP client for the Kubernetes API built from a kubeconfig. client-node reads
 * the kubeconfig and runs the auth plugins (token files, exec, OIDC); the requests
 * themselves go through Deno's fetch, because client-node's Watch under Deno may never
 * report a dropped connection while Deno's fetch reports a broken body.
 */
import { type Cluster, KubeConfig, type User } from "@kubernetes/client-node";
import { type Clock, systemClock } from "./clock.ts";
import { errorFromResponse } from "./http_error.ts";
import { type RateLimit, TokenBucket } from "./rate_limiter.ts";

const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

export interface KubeClientOptions {
  /** Kubeconfig file; else `KUBECONFIG`, else the in-cluster service account, else `~/.kube/config`. */
  kubeconfig?: string;
  /** Context to use instead of the kubeconfig's current one. */
  context?: string;
  /** Client-side limit on requests, shared by everything using this client. */
  rateLimit?: RateLimit;
  clock?: Clock;
}

/** Loads a kubeconfig in the documented order of precedence. */
export function loadKubeConfig(
  opts: Pick<KubeClientOptions, "kubeconfig" | "context"> = {},
): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
  else if (Deno.env.get("KUBECONFIG")) kc.loadFromDefault();
  else if (Deno.env.get("KUBERNETES_SERVICE_HOST") && fileExists(SERVICE_ACCOUNT_TOKEN)) {
    kc.loadFromCluster();
  } else kc.loadFromDefault();
  if (opts.context) kc.setCurrentContext(opts.context);
  return kc;
}

function fileExists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** PEM text from a `*-data` field (base64) or the file it names. */
function pem(file: string | undefined, data: string | undefined): string | undefined {
  if (data) return new TextDecoder().decode(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
  if (file) return Deno.readTextFileSync(file);
  return undefined;
}

/**
 * The authorization headers client-node would send: `applyAuthorizationHeader` runs
 * every auth provider but is TypeScript-private; the public `applyToHTTPSOptions` also
 * builds a Node agent and refuses plain-HTTP servers, which Deno has no use for.
 */
async function authHeaders(kc: KubeConfig, user: User | null): Promise<Record<string, string>> {
  const opts: { headers?: Record<string, string> } = { headers: {} };
  const internal = kc as unknown as {
    applyAuthorizationHeader?: (o: typeof opts) => Promise<void>;
  };
  if (typeof internal.applyAuthorizationHeader === "function") {
    await internal.applyAuthorizationHeader.call(kc, opts);
  } else if (user?.token) {
    opts.headers = { Authorization: `Bearer ${user.token}` };
  }
  const headers = { ...opts.headers };
  if (user?.username && !headers.Authorization) {
    headers.Authorization = `Basic ${btoa(`${user.username}:${user.password ?? ""}`)}`;
  }
  if (user?.impersonateUser) headers["Impersonate-User"] = user.impersonateUser;
  return headers;
}

export class KubeClient {
  /** Base URL of the API server, without a trailing slash. */
  readonly server: string;
  readonly #kc: KubeConfig;
  readonly #http: Deno.HttpClient;
  readonly #limiter: TokenBucket | undefined;
  readonly #clock: Clock;

  constructor(kc: KubeConfig, opts: Pick<KubeClientOptions, "rateLimit" | "clock"> = {}) {
    const cluster: Cluster | null = kc.getCurrentCluster();
    if (!cluster) {
      throw new Error(`Kubeconfig has no cluster for context: ${kc.getCurrentContext()}`);
    }
    const user = kc.getCurrentUser();
    this.server = cluster.server.replace(/\/+$/, "");
    if (cluster.skipTLSVerify && this.server.startsWith("https:")) {
      // Deno can only skip verification process-wide (--unsafely-ignore-certificate-errors).
      throw new Error(
        `insecure-skip-tls-verify is not supported, set certificate-authority: ${cluster.name}`,
      );
    }
    const ca = pem(cluster.caFile, cluster.caData);
    const cert = pem(user?.certFile, user?.certData);
    const key = pem(user?.keyFile, user?.keyData);
    const options: Deno.CreateHttpClientOptions & Partial<Deno.TlsCertifiedKeyPem> = {};
    if (ca) options.caCerts = [ca];
    if (cert && key) Object.assign(options, { cert, key });
    if (cluster.proxyUrl) options.proxy = { url: cluster.proxyUrl };
    this.#http = Deno.createHttpClient(options as Deno.CreateHttpClientOptions);
    this.#kc = kc;
    this.#clock = opts.clock ?? systemClock;
    this.#limiter = opts.rateLimit ? new TokenBucket(opts.rateLimit, this.#clock) : undefined;
  }

  /** A client for the kubeconfig found as {@link loadKubeConfig} describes. */
  static fromKubeconfig(opts: KubeClientOptions = {}): KubeClient {
    return new KubeClient(loadKubeConfig(opts), opts);
  }

  /**
   * GETs `path` with `params`. Resolves with the response when it is 2xx (its body
   * unread, for streaming); rejects with a {@link KubeHttpError} otherwise.
   */
  async get(path: string, params: Record<string, string>, signal: AbortSignal): Promise<Response> {
    await this.#limiter?.take(signal);
    signal.throwIfAborted();
    const headers = await authHeaders(this.#kc, this.#kc.getCurrentUser());
    const url = `${this.server}${path}?${new URLSearchParams(params)}`;
    const res = await fetch(url, {
      client: this.#http,
      headers: { ...headers, Accept: "application/json" },
      signal,
    });
    if (!res.ok) throw await errorFromResponse(res, this.#clock.now());
    return res;
  }

  /** Releases the connection pool. */
  close(): void {
    this.#http.close();
  }
}
