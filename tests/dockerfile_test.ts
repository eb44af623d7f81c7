/**
 * No container engine runs here, so the Dockerfile is checked statically: the
 * stages, what the final images hold, and who they run as.
 */
import assert from "node:assert/strict";
import { INCLUDE_FILES } from "../scripts/flags.ts";
import { assetName, TARGETS } from "../scripts/compile.ts";

const ROOT = new URL("../", import.meta.url);
const BINARY = "/usr/local/bin/x509-certificate-exporter";

interface Instruction {
  op: string;
  args: string;
}

interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions, joining `\` continuations. */
function parseDockerfile(text: string): Stage[] {
  const logical = text.replace(/\\\n/g, " ").split("\n").map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op = "", args = ""] = line.match(/^(\S+)\s*(.*)$/) ?? [];
    if (op.toUpperCase() === "FROM") {
      const m = args.match(/^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i);
      assert.ok(m, `cannot read FROM ${args}`);
      stages.push({ from: m[1]!, name: m[2], instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

const dockerfile = await Deno.readTextFile(new URL("Dockerfile", ROOT));
const stages = parseDockerfile(dockerfile);
const byName = (name: string) => stages.find((s) => s.name === name);
const all = (stage: Stage, op: string) =>
  stage.instructions.filter((i) => i.op === op).map((i) => i.args);

function assertRunnableImage(stage: Stage) {
  const label = `stage FROM ${stage.from}`;
  assert.deepEqual(all(stage, "USER"), ["65534:65534"], label);
  assert.deepEqual(all(stage, "EXPOSE"), ["9793"], label);
  assert.deepEqual(all(stage, "ENTRYPOINT"), [JSON.stringify([BINARY])], label);
  const copies = all(stage, "COPY");
  assert.ok(
    copies.includes(
      "--from=rootfs /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt",
    ),
    `${label} must carry the CA certificates`,
  );
  assert.ok(copies.includes(`--from=build /out/x509-certificate-exporter ${BINARY}`), label);
  assert.ok(copies.includes("--from=rootfs /rootfs/ /"), `${label} needs the libraries and passwd`);
  assert.deepEqual(all(stage, "RUN"), [], `${label} must not run anything`);
}

Deno.test("the Dockerfile's default (last) stage is FROM scratch and runs the exporter as 65534", () => {
  const last = stages.at(-1)!;
  assert.equal(last.from, "scratch");
  assertRunnableImage(last);
});

Deno.test("the busybox target is the same image on busybox's glibc flavour", () => {
  const busybox = byName("busybox");
  assert.ok(busybox, "a stage named busybox");
  assert.match(busybox.from, /^busybox:[\d.]+-glibc$/);
  assertRunnableImage(busybox);
});

Deno.test("the build stage compiles with a pinned official Deno image for TARGETARCH", () => {
  const build = byName("build");
  assert.ok(build);
  assert.equal(build.from, "denoland/deno:${DENO_VERSION}");
  const pinned = dockerfile.match(/^ARG DENO_VERSION=(\S+)$/m)?.[1];
  assert.match(pinned ?? "", /^\d+\.\d+\.\d+$/, "DENO_VERSION must be an exact version");
  assert.match(dockerfile, /^FROM --platform=\$BUILDPLATFORM denoland\/deno:/m);
  assert.ok(all(build, "ARG").includes("TARGETARCH"));
  const run = all(build, "RUN").find((r) => r.includes("deno task compile"));
  assert.ok(run, "the build stage runs deno task compile");
  assert.match(run, /deno task compile --target "linux-\$\{TARGETARCH\}"/);
  // The asset the build copies out is the one scripts/compile.ts names for each Linux arch.
  const copied = run.match(/dist\/(x509-certificate-exporter-linux-\$\{TARGETARCH\})/)?.[1];
  assert.ok(copied);
  for (const t of TARGETS.filter((t) => t.os === "linux")) {
    assert.equal(copied.replace("${TARGETARCH}", t.goArch), assetName(t));
  }
});

Deno.test("the rootfs stage writes a passwd entry for 65534 and copies the binary's libraries", () => {
  const rootfs = byName("rootfs");
  assert.ok(rootfs);
  const runs = all(rootfs, "RUN").join("\n");
  assert.match(runs, /nobody:x:65534:65534:[^']*' > \/rootfs\/etc\/passwd/);
  assert.match(runs, /:x:65534:' > \/rootfs\/etc\/group/);
  assert.match(runs, /ldd \/usr\/local\/bin\/x509-certificate-exporter/);
  assert.match(runs, /apt-get install -y --no-install-recommends ca-certificates/);
});

Deno.test(".dockerignore keeps the build context small but keeps everything the build needs", async () => {
  const patterns = (await Deno.readTextFile(new URL(".dockerignore", ROOT))).split("\n")
    .map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  for (const excluded of [".git", "dist", "node_modules", "tests"]) {
    assert.ok(patterns.includes(excluded), `${excluded} should be ignored`);
  }
  const needed = ["deno.json", "deno.lock", "main.ts", "src/build_info.ts", "scripts/compile.ts"];
  for (const path of [...needed, ...INCLUDE_FILES]) {
    const ignoredBy = patterns.find((p) => {
      const re = new RegExp(
        "^" + p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*") + "(/|$)",
      );
      return re.test(path);
    });
    assert.equal(ignoredBy, undefined, `${path} is needed by the build but ignored`);
  }
});
