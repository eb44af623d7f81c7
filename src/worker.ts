/**
 * CPU-bound jobs off the event loop: a module worker started on the first job
 * and stopped once idle, so a host without such jobs never pays for a second
 * isolate (~10 MiB) and a burst of them pays once. One message in, one out,
 * matched by id; the worker side is {@link serveJobs}.
 */

/** What crosses to the worker. */
export interface JobRequest<Req> {
  readonly id: number;
  readonly req: Req;
}

/** What comes back: the job's result, or why it could not run. */
export interface JobReply<Res> {
  readonly id: number;
  readonly res?: Res;
  readonly error?: string;
}

export interface OnDemandWorkerOptions {
  /** How long the worker outlives its last job, ms. */
  readonly idleMs: number;
  /** Aborting stops the worker for good (the exporter is stopping). */
  readonly signal?: AbortSignal;
}

/** A worker that cannot start or load (a binary without it embedded). */
export class WorkerUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkerUnavailableError";
  }
}

/** Jobs for the module worker at `url`, started on demand. */
export class OnDemandWorker<Req, Res> {
  readonly #url: URL;
  readonly #idleMs: number;
  #worker: Worker | undefined;
  readonly #pending = new Map<number, PromiseWithResolvers<Res>>();
  #nextId = 0;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set once the worker failed to load or was stopped for good: callers work in-process. */
  #unavailable: string | undefined;

  constructor(url: URL, options: OnDemandWorkerOptions) {
    this.#url = url;
    this.#idleMs = options.idleMs;
    options.signal?.addEventListener("abort", () => {
      this.#unavailable = "stopped";
      this.#fail("worker stopped");
    }, { once: true });
  }

  /** False once the worker cannot run: jobs then reject with {@link WorkerUnavailableError}. */
  get available(): boolean {
    return this.#unavailable === undefined;
  }

  /** Runs `req` in the worker. */
  run(req: Req): Promise<Res> {
    const worker = this.#start();
    if (!worker) return Promise.reject(new WorkerUnavailableError(this.#unavailable!));
    clearTimeout(this.#idleTimer);
    const id = this.#nextId++;
    const job = Promise.withResolvers<Res>();
    this.#pending.set(id, job);
    worker.postMessage({ id, req } satisfies JobRequest<Req>);
    return job.promise;
  }

  #start(): Worker | undefined {
    if (this.#unavailable !== undefined) return undefined;
    if (this.#worker) return this.#worker;
    try {
      const worker = new Worker(this.#url, { type: "module" });
      worker.onmessage = (e: MessageEvent<JobReply<Res>>) => {
        const job = this.#pending.get(e.data.id);
        this.#pending.delete(e.data.id);
        if (e.data.error !== undefined) job?.reject(new Error(e.data.error));
        else job?.resolve(e.data.res!);
        if (this.#pending.size === 0) this.#idle();
      };
      worker.onerror = (e) => {
        // Not loadable (or crashed): in-process from now on, and nothing waits forever.
        e.preventDefault();
        this.#unavailable = `worker failed: ${e.message}`;
        this.#fail(this.#unavailable);
      };
      this.#worker = worker;
      return worker;
    } catch (err) {
      this.#unavailable = `worker cannot start: ${err instanceof Error ? err.message : err}`;
      return undefined;
    }
  }

  #idle(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.#stop(), this.#idleMs);
    // An idle worker must not keep the process alive.
    Deno.unrefTimer(this.#idleTimer as unknown as number);
  }

  #fail(message: string): void {
    for (const job of this.#pending.values()) job.reject(new WorkerUnavailableError(message));
    this.#pending.clear();
    this.#stop();
  }

  #stop(): void {
    clearTimeout(this.#idleTimer);
    this.#worker?.terminate();
    this.#worker = undefined;
  }
}

/** The worker side: answers each job with `handle`'s result (or its error's message). */
export function serveJobs<Req, Res>(handle: (req: Req) => Res): void {
  const scope = self as unknown as {
    onmessage: ((e: MessageEvent<JobRequest<Req>>) => void) | null;
    postMessage(reply: JobReply<Res>): void;
  };
  scope.onmessage = (e) => {
    const { id, req } = e.data;
    try {
      scope.postMessage({ id, res: handle(req) });
    } catch (err) {
      scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
    }
  };
}
