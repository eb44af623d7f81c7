import assert from "node:assert/strict";
import { BUILD_INFO, formatBuildInfo, readGitRevision } from "../src/build_info.ts";
import { BUILD_REVISION } from "../src/_build_revision.ts";

const ROOT = new URL("../", import.meta.url);
const A = "0123456789abcdef0123456789abcdef01234567";
const B = "89abcdef0123456789abcdef0123456789abcdef";

async function fakeRepo(files: Record<string, string>): Promise<URL> {
  const dir = await Deno.makeTempDir({ prefix: "x509-git-" });
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(`${dir}/${path}`.replace(/\/[^/]+$/, ""), { recursive: true });
    await Deno.writeTextFile(`${dir}/${path}`, text);
  }
  return new URL(`file://${dir}/`);
}

Deno.test("BUILD_INFO carries deno.json's version and the running Deno's version", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  assert.equal(BUILD_INFO.version, denoJson.version);
  assert.equal(BUILD_INFO.denoVersion, Deno.version.deno);
  assert.ok(Object.isFrozen(BUILD_INFO));
});

Deno.test("the committed revision module is the unbaked fallback", () => {
  assert.equal(BUILD_REVISION, undefined, "scripts/compile.ts must restore src/_build_revision.ts");
});

Deno.test("BUILD_INFO.revision of a checkout is the commit git reports", async () => {
  const git = await new Deno.Command("git", {
    args: ["rev-parse", "HEAD"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  })
    .output().catch(() => undefined);
  if (!git?.success) return console.log("skipped: not a git checkout");
  assert.equal(BUILD_INFO.revision, new TextDecoder().decode(git.stdout).trim());
});

Deno.test("readGitRevision() follows HEAD to a loose ref, packed-refs or a detached commit", async () => {
  const repos = [
    [{ ".git/HEAD": "ref: refs/heads/main\n", ".git/refs/heads/main": `${A}\n` }, A],
    [{
      ".git/HEAD": "ref: refs/heads/main\n",
      ".git/packed-refs": `# pack-refs\n${B} refs/heads/other\n${A} refs/heads/main\n`,
    }, A],
    [{ ".git/HEAD": `${B}\n` }, B],
    [{
      "repo/.git/HEAD": "ref: refs/heads/x\n",
      "repo/.git/refs/heads/x": `${B}\n`,
      "wt/.git": "gitdir: ../repo/.git\n",
    }, B],
    [{
      "main/.git/refs/heads/feature": `${A}\n`,
      "main/.git/worktrees/wt/HEAD": "ref: refs/heads/feature\n",
      "main/.git/worktrees/wt/commondir": "../..\n",
      "wt/.git": "gitdir: ../main/.git/worktrees/wt\n",
    }, A],
    [{ ".git/HEAD": "ref: refs/heads/gone\n" }, "unknown"],
    [{ "nothing-here": "" }, "unknown"],
  ] as const;
  for (const [files, expected] of repos) {
    const repo = await fakeRepo(files);
    try {
      const dir = "wt/.git" in files ? new URL("wt/", repo) : repo;
      assert.equal(readGitRevision(dir), expected, JSON.stringify(files));
    } finally {
      await Deno.remove(repo, { recursive: true });
    }
  }
});

Deno.test("formatBuildInfo() prints version, revision and Deno version on one line", () => {
  assert.equal(
    formatBuildInfo({ version: "1.2.3", revision: A, denoVersion: "2.9.6" }),
    `x509-certificate-exporter 1.2.3 (revision ${A}, deno 2.9.6)`,
  );
});
