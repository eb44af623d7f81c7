/**
 * examples/: ready configs for a kubeadm node, a certbot host, a Java keystore
 * host and a cluster-wide Secrets exporter. Each passes `--config.check` as
 * the exporter itself runs it, without a warning.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname;
const EXAMPLES = [...Deno.readDirSync(`${ROOT}examples`)].map((e) => e.name).sort();

Deno.test("examples/ holds the four documented configs, and only YAML", () => {
  assert.deepEqual(EXAMPLES, [
    "certbot-host.yaml",
    "cluster-secrets.yaml",
    "java-keystore-host.yaml",
    "kubeadm-node.yaml",
  ]);
});

for (const name of EXAMPLES) {
  Deno.test(`examples/${name} passes --config.check without a warning`, async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}main.ts`, "--config.check", "--config", `examples/${name}`],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stdout + stderr);
    assert.match(
      stdout,
      new RegExp(`^Configuration OK: examples/${name} \\(\\d+ source\\(s\\)\\)`),
    );
    assert.doesNotMatch(stdout + stderr, /warn/i);
    // Each example says how to check it.
    const text = await Deno.readTextFile(`${ROOT}examples/${name}`);
    assert.match(text, new RegExp(`--config.check --config ${name.replace(".", "\\.")}`));
  });
}
