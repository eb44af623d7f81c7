/**
 * A plain listener of src/server/listen.ts alone, for tests that run it under a
 * small descriptor limit (`prlimit --nofile=N`). Prints `listening PORT` once
 * bound; `maxConnections` comes from argv[0] ("auto" for the default).
 */
import { serve } from "../../src/server/listen.ts";

const cap = Deno.args[0] === "auto" || Deno.args[0] === undefined
  ? undefined
  : Number(Deno.args[0]);
const server = await serve(() => new Response("ok\n"), {
  hostname: "127.0.0.1",
  port: 0,
  limits: { readTimeoutMs: 60_000, ...(cap !== undefined ? { maxConnections: cap } : {}) },
  onAcceptError: (err) => console.error(`accept error: ${err}`),
});
console.log(`listening ${server.addr.port} ${server.guard?.limits.maxConnections}`);
await server.finished;
