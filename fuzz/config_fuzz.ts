/**
 * The config fuzzer: mutated config files and web configs through the same
 * decoders `--config.check` and startup use. A case passes when the decoder
 * either accepts the text, with a listen address startup can bind, or refuses
 * it with located errors (`file:line:col: key: message`, one line each). Any
 * other exception (a RangeError from deep nesting, a TypeError) is a failure:
 * it is what would print a stack trace or crash startup.
 */
import { ConfigErrors } from "../src/config/decode.ts";
import { parseListen } from "../src/config/listen.ts";
import { parseConfig } from "../src/config/load.ts";
import { ConfigError } from "../src/errors.ts";
import { parseWebConfig } from "../src/server/web_config.ts";
import { caseSeed, prng } from "./_mutate.ts";
import type { FuzzOptions, FuzzResult } from "./_run.ts";

const DATA = new URL("../tests/testdata/", import.meta.url);

/** Fragments a hostile or broken config is made of. */
const FRAGMENTS = [
  "\n",
  "  ",
  "\t",
  ": ",
  "- ",
  "[",
  "]",
  "{",
  "}",
  ",",
  "&a ",
  "*a",
  "<<: *a\n",
  "!!binary ",
  "!!map ",
  "? ",
  "|\n",
  ">-\n",
  "'",
  '"',
  "#",
  "~",
  "null",
  "yes",
  "0x1F",
  "1e400",
  "-1",
  "9999999999h",
  "0s",
  "\u0000",
  "\ufeff",
  "é",
  "kind: tls\n",
  "kind: kubernetes\n",
  "sources:\n",
  "server:\n  listen: ",
  "paths: ['[']\n",
  "listen: ':99999'\n",
  "listen: '[::1'\n",
  "listen: 'a b:1'\n",
  "listen: '256.1.1.1:80'\n",
  "listen: '[fe80::1%eth0]:0'\n",
  "readTimeout: 1e9h\n",
  "basic_auth_users: { a: x }\n",
];

interface Base {
  readonly file: string;
  readonly text: string;
  readonly web: boolean;
}

async function bases(): Promise<Base[]> {
  const out: Base[] = [];
  for (const [dir, web] of [["config", false], ["web", true]] as const) {
    const url = new URL(`${dir}/`, DATA);
    for await (const e of Deno.readDir(url)) {
      if (!e.isFile || !/\.ya?ml$/.test(e.name)) continue;
      out.push({
        file: new URL(e.name, url).pathname,
        text: await Deno.readTextFile(new URL(e.name, url)),
        web,
      });
    }
  }
  // Sorted: the case a seed and index make must not depend on directory order.
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

/** One to six edits of `text`: fragments spliced in, lines cut, repeated, swapped, nested deep. */
export function mutateConfig(text: string, random: () => number): string {
  const int = (n: number) => Math.floor(random() * n);
  let out = text;
  for (let round = 1 + int(6); round > 0; round--) {
    const at = int(out.length + 1);
    const lines = out.split("\n");
    switch (int(8)) {
      case 0:
      case 1:
        out = out.slice(0, at) + FRAGMENTS[int(FRAGMENTS.length)]! + out.slice(at);
        break;
      case 2: // cut
        out = out.slice(0, at) + out.slice(Math.min(out.length, at + int(40)));
        break;
      case 3: { // repeat a line
        const i = int(lines.length);
        lines.splice(i, 0, ...Array(1 + int(4)).fill(lines[i] ?? ""));
        out = lines.join("\n");
        break;
      }
      case 4: { // swap two lines
        const [i, j] = [int(lines.length), int(lines.length)];
        [lines[i], lines[j]] = [lines[j] ?? "", lines[i] ?? ""];
        out = lines.join("\n");
        break;
      }
      case 5: { // deep flow nesting: [[[[...]]]] or {a: {a: ...}}
        const n = [10, 127, 200, 1_000, 5_000][int(5)]!;
        const open = int(2) ? "[".repeat(n) : "{a: ".repeat(n);
        const close = open.startsWith("[") ? "]".repeat(n) : "}".repeat(n);
        out = out.slice(0, at) + open + (int(3) ? close : "") + out.slice(at);
        break;
      }
      case 6: { // deep block nesting, by indentation or compact sequences
        const n = [10, 127, 200, 3_000][int(4)]!;
        const deep = int(2)
          ? Array.from({ length: n }, (_, k) => `${" ".repeat(k)}a:`).join("\n") + " 1\n"
          : "x: \n" + "- ".repeat(n) + "1\n";
        out = out.slice(0, at) + "\n" + deep + out.slice(at);
        break;
      }
      default: // indentation change
        out = lines.map((l) => (int(8) === 0 ? " ".repeat(int(5)) + l : l)).join("\n");
    }
  }
  return out;
}

/** Undefined when the outcome is one `--config.check` can print: else what went wrong. */
async function judge(base: Base, text: string): Promise<string | undefined> {
  try {
    if (base.web) {
      await parseWebConfig(text, base.file);
      return undefined;
    }
    const { config } = parseConfig(text, base.file, { baseDir: "/" });
    // Accepted means startup can bind it: a listen address the app then refuses is a crash.
    for (const address of [config.server.listen, config.server.probeListen]) {
      if (address !== "" && typeof parseListen(address) === "string") {
        return `accepted an unbindable listen address: ${address}`;
      }
    }
    return undefined;
  } catch (err) {
    const errors = err instanceof ConfigErrors
      ? err.errors
      : err instanceof ConfigError
      ? [err]
      : undefined;
    if (!errors) {
      // Where it was thrown, so the failure points at the code to fix.
      const at = err instanceof Error
        ? err.stack?.split("\n").find((l) => l.includes("/src/"))
        : "";
      return `${String(err)}${at ? ` (${at.trim()})` : ""}`;
    }
    for (const e of errors) {
      if (e.message.includes("\n")) {
        return `an error of more than one line: ${JSON.stringify(e.message)}`;
      }
      if (!e.message.startsWith(base.file)) return `an error not naming its file: ${e.message}`;
    }
    return undefined;
  }
}

/** Mutated configs and web configs for `options.seconds` (or the one `options.case`). */
export async function fuzzConfig(options: FuzzOptions): Promise<FuzzResult> {
  const all = await bases();
  const deadline = performance.now() + options.seconds * 1000;
  let cases = 0;
  let slowestMs = 0;
  for (let i = options.case ?? 0;; i++) {
    if (options.case === undefined && performance.now() >= deadline) break;
    const random = prng(caseSeed(options.seed, i));
    const base = all[Math.floor(random() * all.length)]!;
    const text = mutateConfig(base.text, random);
    const started = performance.now();
    const problem = await judge(base, text);
    const ms = performance.now() - started;
    slowestMs = Math.max(slowestMs, ms);
    cases++;
    if (problem === undefined && ms > options.slowMs) {
      return { cases, slowestMs, failure: { case: i, message: `took ${ms.toFixed(0)} ms` } };
    }
    if (problem !== undefined) {
      return { cases, slowestMs, failure: { case: i, message: `${base.file}: ${problem}` } };
    }
    if (options.case !== undefined) break;
  }
  return { cases, slowestMs };
}
