import assert from "node:assert/strict";
import { isGlob, pathRegExp, segmentRegExp, splitPattern } from "../src/sources/glob.ts";

function assertMatches(re: RegExp, yes: readonly string[], no: readonly string[]): void {
  for (const s of yes) assert.ok(re.test(s), `${re} matches ${s}`);
  for (const s of no) assert.ok(!re.test(s), `${re} does not match ${s}`);
}

Deno.test("isGlob() spots *, ? and [ and nothing else", () => {
  for (const s of ["*.pem", "a?.crt", "[ab].pem", "/etc/**/x"]) assert.equal(isGlob(s), true, s);
  for (const s of ["/etc/ssl/cert.pem", "a-b_c.d", "{a,b}", "a]b"]) {
    assert.equal(isGlob(s), false, s);
  }
});

Deno.test("segmentRegExp() matches * and ? within one segment, never across /", () => {
  assertMatches(segmentRegExp("*.pem"), ["a.pem", ".pem", "x.y.pem"], [
    "a.crt",
    "d/a.pem",
    "a.pemx",
  ]);
  assertMatches(segmentRegExp("ca?.crt"), ["ca1.crt", "cax.crt"], [
    "ca.crt",
    "ca12.crt",
    "ca/.crt",
  ]);
});

Deno.test("segmentRegExp() treats regex metacharacters of the pattern literally", () => {
  assertMatches(segmentRegExp("a.b+c(1)$"), ["a.b+c(1)$"], ["axb+c(1)$", "a.bbc(1)"]);
  assertMatches(segmentRegExp("^x|y"), ["^x|y"], ["x", "y"]);
});

Deno.test("segmentRegExp() supports classes, ranges and negation with ! or ^", () => {
  assertMatches(segmentRegExp("[ab].pem"), ["a.pem", "b.pem"], ["c.pem", "ab.pem"]);
  assertMatches(segmentRegExp("tls-[0-9].crt"), ["tls-0.crt", "tls-9.crt"], ["tls-a.crt"]);
  assertMatches(segmentRegExp("[!a]*"), ["b", "bcd"], ["a", "abc"]);
  assertMatches(segmentRegExp("[^a]*"), ["b"], ["a"]);
});

Deno.test({
  name: "segmentRegExp() takes ] right after [ as a class member",

  fn() {
    assertMatches(segmentRegExp("[]a]"), ["]", "a"], ["b"]);
    assertMatches(segmentRegExp("[!]a]"), ["b"], ["]", "a", "xa]"]);
  },
});

Deno.test("segmentRegExp() takes an unclosed [ literally", () => {
  assertMatches(segmentRegExp("a[b"), ["a[b"], ["ab"]);
});

Deno.test("segmentRegExp() escapes the next character with a backslash", () => {
  assertMatches(segmentRegExp("\\*.pem"), ["*.pem"], ["a.pem"]);
  assertMatches(segmentRegExp("a\\?"), ["a?"], ["ab"]);
});

Deno.test("pathRegExp() matches ** across any number of directories, none included", () => {
  assertMatches(
    pathRegExp("/etc/kubernetes/pki/**/*.crt"),
    [
      "/etc/kubernetes/pki/ca.crt",
      "/etc/kubernetes/pki/etcd/ca.crt",
      "/etc/kubernetes/pki/a/b/c.crt",
    ],
    ["/etc/kubernetes/pki/ca.key", "/etc/kubernetes/ca.crt", "/etc/kubernetes/pkix/ca.crt"],
  );
});

Deno.test("pathRegExp() with a trailing ** matches everything below the directory", () => {
  assertMatches(pathRegExp("/var/lib/**"), ["/var/lib/a", "/var/lib/a/b/c"], [
    "/var/lib",
    "/var/libx/a",
  ]);
});

Deno.test("pathRegExp() keeps single-segment wildcards within their segment", () => {
  assertMatches(pathRegExp("/etc/*/tls.crt"), ["/etc/a/tls.crt"], [
    "/etc/a/b/tls.crt",
    "/etc/tls.crt",
  ]);
  assertMatches(pathRegExp("*.pem"), ["a.pem"], ["d/a.pem"]);
});

Deno.test("splitPattern() splits at the first segment with a wildcard", () => {
  assert.deepEqual(splitPattern("/etc/kubernetes/pki/**/*.crt"), {
    root: "/etc/kubernetes/pki",
    segments: ["**", "*.crt"],
  });
  assert.deepEqual(splitPattern("/etc/letsencrypt/live/*/fullchain.pem"), {
    root: "/etc/letsencrypt/live",
    segments: ["*", "fullchain.pem"],
  });
});

Deno.test("splitPattern() keeps a literal path whole, with nothing to walk", () => {
  assert.deepEqual(splitPattern("/etc/ssl/cert.pem"), { root: "/etc/ssl/cert.pem", segments: [] });
});

Deno.test("splitPattern() roots a top-level wildcard at / or, for a relative one, at .", () => {
  assert.deepEqual(splitPattern("/*.pem"), { root: "/", segments: ["*.pem"] });
  assert.deepEqual(splitPattern("*.pem"), { root: ".", segments: ["*.pem"] });
  assert.deepEqual(splitPattern("certs/*.pem"), { root: "certs", segments: ["*.pem"] });
});
