/**
 * Hostile configs (issue 15, row 15): nesting that overflowed the YAML
 * library's stack, in the config and the web config, is one located error;
 * `--config.check` never prints a stack trace; and a short run of the config
 * fuzzer (fuzz/config_fuzz.ts) passes.
 */
import assert from "node:assert/strict";
import { ConfigErrors, deepestLine, MAX_YAML_DEPTH } from "../src/config/decode.ts";
import { parseConfig } from "../src/config/load.ts";
import { ConfigError } from "../src/errors.ts";
import { parseWebConfig } from "../src/server/web_config.ts";
import { fuzzConfig } from "../fuzz/config_fuzz.ts";
import { randomSeed } from "../fuzz/_run.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

const DEEP = {
  flow: `sources: ${"[".repeat(1_000)}${"]".repeat(1_000)}\n`,
  block: "metrics:\n" +
    Array.from({ length: 3_000 }, (_, i) => `${" ".repeat(i + 1)}a:`).join("\n") +
    " 1\n",
  compact: "sources:\n" + "- ".repeat(3_000) + "x\n",
  unclosed: "log: [[[[\n" +
    Array.from({ length: 3_000 }, (_, i) => `${" ".repeat(i)}a:`).join("\n"),
};

Deno.test("parseConfig() refuses 1,000 flow and 3,000 block levels with one located error", () => {
  for (const [name, text] of Object.entries(DEEP)) {
    let errors: readonly ConfigError[] = [];
    try {
      parseConfig(text, "deep.yaml");
    } catch (err) {
      assert.ok(err instanceof ConfigErrors, `${name}: ${err}`);
      errors = err.errors;
    }
    assert.equal(errors.length, 1, name);
    assert.match(
      errors[0]!.message,
      /^deep\.yaml:\d+:1: \w+: Nested more than 128 levels deep$/,
      name,
    );
  }
});

Deno.test("parseWebConfig() refuses deep nesting with a located error", async () => {
  await assert.rejects(
    parseWebConfig(`basic_auth_users: ${"{a: ".repeat(2_000)}`, "/tmp/web.yml"),
    (e: unknown) =>
      e instanceof ConfigError &&
      /^\/tmp\/web\.yml:1:1: basic_auth_users: .*Nested/.test(e.message),
  );
});

Deno.test("deepestLine() lets real configs through and counts flow, indentation and dashes", () => {
  const real = "sources:\n  - kind: file\n    paths: [a, 'b]]]]']\n    # [[[[[[\n";
  assert.equal(deepestLine(real, 8), undefined);
  assert.deepEqual(deepestLine("a:\n  b: [[[x]]]\n", 3), { line: 2, key: "a" });
  assert.equal(deepestLine(`x: ${"[".repeat(MAX_YAML_DEPTH - 2)}`, MAX_YAML_DEPTH), undefined);
  // The limit leaves the YAML library and the decoders with stack to spare.
  const limit = `sources: ${"[".repeat(MAX_YAML_DEPTH - 2)}${"]".repeat(MAX_YAML_DEPTH - 2)}\n`;
  assert.throws(() => parseConfig(limit, "c.yaml"), ConfigErrors);
});

Deno.test("--config.check prints one located line, never a stack trace, for deep configs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, text] of Object.entries({ ...DEEP, web: "" })) {
      const file = `${dir}/${name}.yaml`;
      if (name === "web") {
        await Deno.writeTextFile(`${dir}/w.yml`, `tls_server_config: ${"[".repeat(1_500)}`);
        await Deno.writeTextFile(
          file,
          `server: { webConfigFile: w.yml }\nsources: [{ kind: file, name: f, paths: [x] }]\n`,
        );
      } else await Deno.writeTextFile(file, text);
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MAIN, "--config.check", "--config", file],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 1, `${name}: ${stderr}`);
      assert.doesNotMatch(stderr, /^\s+at |RangeError|Fatal/m, name);
      assert.match(stderr, /\.ya?ml:\d+:\d+: \w+: .*Nested more than 128 levels deep$/m, name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fuzzConfig() runs 3 s of mutated configs without a crash", async () => {
  const seed = randomSeed();
  console.log(`fuzzConfig seed ${seed} (replay: deno task fuzz --seed=${seed} --case=N config)`);
  const result = await fuzzConfig({ seed, seconds: 3, slowMs: 5_000 });
  assert.equal(result.failure, undefined, JSON.stringify(result.failure));
  assert.ok(result.cases > 20, `${result.cases} cases`);
});
