/**
 * An HTTP client for the Kubernetes API. Requests go through Deno's fetch, because
 * client-node's Watch under Deno may never report a dropped connection while Deno's
 * fetch reports a broken body.
 */
import { type Clock, systemClock } from "./clock.ts";
import { errorFromResponse } from "./http_error.ts";
import { type KubeTarget, loadKubeconfig } from "./kubeconfig.ts";
import { type RateLimit, TokenBucket } from "./rate_limiter.ts";

export interface KubeClientOptions {
  /** Kubeconfig file; else `KUBECONFIG`, else the in-cluster service account, else `~/.kube/config`. */
  kubeconfig?: string;
  /** Context to use instead of the kubeconfig's current one. */
  context?: string;
  /** Largest kubeconfig or credential file read (see {@link loadKubeconfig}). */
  maxFileBytes: number;
  /** Client-side limit on requests, shared by everything using this client. */
  rateLimit?: RateLimit;
  clock?: Clock;
}

/** No response headers within the request's timeout: the connection is presumed dead. */
export class RequestTimeoutError extends Error {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`No response headers within ${timeoutMs} ms`);
    this.name = "RequestTimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

export interface GetOptions {
  /**
   * Longest wait for the response headers, counted once the rate limiter let the
   * request go (a queue of requests is no dead server); the body is not covered.
   * @default Infinity
   */
  readonly headersTimeoutMs?: number;
}

export class KubeClient {
  /** Base URL of the API server, without a trailing slash. */
  readonly server: string;
  readonly #target: KubeTarget;
  readonly #http: Deno.HttpClient;
  readonly #limiter: TokenBucket | undefined;
  readonly #clock: Clock;

  constructor(target: KubeTarget, opts: Pick<KubeClientOptions, "rateLimit" | "clock"> = {}) {
    this.server = target.server;
    if (target.skipTLSVerify && this.server.startsWith("https:")) {
      // Deno can only skip verification process-wide (--unsafely-ignore-certificate-errors).
      throw new Error(
        `insecure-skip-tls-verify is not supported, set certificate-authority: ${target.origin}`,
      );
    }
    const options: Deno.CreateHttpClientOptions & Partial<Deno.TlsCertifiedKeyPem> = {};
    if (target.caPem) options.caCerts = [target.caPem];
    if (target.certPem && target.keyPem) {
      Object.assign(options, { cert: target.certPem, key: target.keyPem });
    }
    if (target.proxyUrl) options.proxy = { url: target.proxyUrl };
    this.#http = Deno.createHttpClient(options as Deno.CreateHttpClientOptions);
    this.#target = target;
    this.#clock = opts.clock ?? systemClock;
    this.#limiter = opts.rateLimit ? new TokenBucket(opts.rateLimit, this.#clock) : undefined;
  }

  /** A client for the kubeconfig found as {@link loadKubeconfig} describes. */
  static fromKubeconfig(opts: KubeClientOptions): KubeClient {
    return new KubeClient(
      loadKubeconfig({
        maxFileBytes: opts.maxFileBytes,
        ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
        ...(opts.context ? { context: opts.context } : {}),
      }),
      opts,
    );
  }

  /**
   * GETs `path` with `params`. Resolves with the response when it is 2xx (its body
   * unread, for streaming); rejects with a {@link KubeHttpError} otherwise.
   */
  async get(
    path: string,
    params: Record<string, string>,
    signal: AbortSignal,
    options: GetOptions = {},
  ): Promise<Response> {
    await this.#limiter?.take(signal);
    signal.throwIfAborted();
    const headers = await this.#target.headers();
    const url = `${this.server}${path}?${new URLSearchParams(params)}`;
    const timeoutMs = options.headersTimeoutMs ?? Infinity;
    let fetchSignal = signal;
    let cancel = () => {};
    if (Number.isFinite(timeoutMs)) {
      // One controller for the request and its body: aborted by the caller, or by the
      // timer until the headers are in.
      const ac = new AbortController();
      const forward = () => ac.abort(signal.reason);
      signal.addEventListener("abort", forward, { once: true });
      cancel = this.#clock.schedule(timeoutMs, () => {
        signal.removeEventListener("abort", forward);
        ac.abort(new RequestTimeoutError(timeoutMs));
      });
      fetchSignal = ac.signal;
    }
    let res: Response;
    try {
      res = await fetch(url, {
        client: this.#http,
        headers: { ...headers, Accept: "application/json" },
        signal: fetchSignal,
      });
    } catch (err) {
      if (fetchSignal.reason instanceof RequestTimeoutError) throw fetchSignal.reason;
      // "fetch failed" alone says neither where nor why: name the URL, keep the cause.
      if (signal.aborted) throw err;
      throw new Error(`Cannot reach the Kubernetes API at ${url}`, { cause: err });
    } finally {
      cancel();
    }
    if (!res.ok) throw await errorFromResponse(res, this.#clock.now());
    return res;
  }

  /** Releases the connection pool. */
  close(): void {
    this.#http.close();
  }
}
