/**
 * A FIFO in a watched directory: the file watcher's thread opens what it sees, and opening
 * a FIFO waits for a writer. Whether the FIFO was there first or appears later, the source
 * keeps exporting and SIGTERM still ends the process.
 */
import assert from "node:assert/strict";
import { makeCert } from "./testing/certs.ts";
import { eventually, sample, startExporter } from "./testing/exporter_process.ts";

async function mkfifo(path: string): Promise<void> {
  const out = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.ok(out.success, "mkfifo");
}

/** SIGTERM's exit code, or "hung" when the process is still there after `ms`. */
async function stopWithin(stop: () => Promise<number>, ms: number): Promise<number | "hung"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<"hung">((r) => timer = setTimeout(() => r("hung"), ms));
  try {
    return await Promise.race([stop(), hung]);
  } finally {
    clearTimeout(timer);
  }
}

for (const when of ["before the start", "while watched"]) {
  Deno.test({
    name:
      `e2e: a FIFO created ${when} in a watched directory never blocks the exporter or its exit`,
    ignore: Deno.build.os === "windows",
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "x509-fifo-" });
      try {
        await Deno.writeTextFile(`${dir}/a.pem`, (await makeCert({ serial: "0b" })).pem);
        await Deno.writeTextFile(
          `${dir}/config.yaml`,
          `server: { listen: "127.0.0.1:0" }\ncache: { filePoll: { interval: 200ms } }\nsources: [{ kind: file, name: w, paths: ["${dir}/*.pem"] }]\n`,
        );
        if (when === "before the start") await mkfifo(`${dir}/pipe.pem`);
        const exporter = await startExporter(["--config", `${dir}/config.yaml`]);
        let code: number | "hung" = "hung";
        try {
          await eventually(async () => {
            const body = await exporter.metrics();
            return sample(body, "x509_cert_not_after", { filename: "a.pem" }) ? body : undefined;
          });
          if (when === "while watched") await mkfifo(`${dir}/pipe.pem`);
          await new Promise((r) => setTimeout(r, 300)); // the watcher sees it
          assert.equal((await exporter.get("/healthz")).status, 200);
          // Gone again: a new watcher would now hang the process; the source keeps polling.
          await Deno.remove(`${dir}/pipe.pem`);
          await new Promise((r) => setTimeout(r, 1500));
          const res = await exporter.get("/healthz", { signal: AbortSignal.timeout(2000) });
          assert.equal(res.status, 200);
          await res.body?.cancel();
        } finally {
          code = await stopWithin(() => exporter.stop(), 8_000);
        }
        assert.equal(code, 0, "SIGTERM ends the process");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
