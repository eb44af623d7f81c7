import assert from "node:assert/strict";
import { keyMatcher, NameLabelFilter } from "../src/sources/kube_filters.ts";

Deno.test("NameLabelFilter allows every name and every label set when empty", () => {
  const f = new NameLabelFilter();
  assert.equal(f.allowed("anything", undefined), true);
  assert.equal(f.allowed("x", { a: "b" }), true);
  assert.equal(f.hasLabelRules, false);
  assert.equal(f.labelSelector(), undefined);
  assert.equal(f.literalNames, undefined);
});

Deno.test("NameLabelFilter keeps only names an include glob matches", () => {
  const f = new NameLabelFilter({ include: ["kube-*", "cert-manager"] });
  assert.equal(f.nameAllowed("kube-system"), true);
  assert.equal(f.nameAllowed("cert-manager"), true);
  assert.equal(f.nameAllowed("default"), false);
  assert.equal(f.nameAllowed("cert-manager-x"), false, "globs are anchored");
});

Deno.test("NameLabelFilter lets an exclude glob win over an include", () => {
  const f = new NameLabelFilter({ include: ["kube-*"], exclude: ["kube-public", "*-test"] });
  assert.equal(f.nameAllowed("kube-system"), true);
  assert.equal(f.nameAllowed("kube-public"), false);
  assert.equal(f.nameAllowed("kube-test"), false);
});

Deno.test("NameLabelFilter requires every include label rule: a key, or a key=value", () => {
  const f = new NameLabelFilter({ includeLabels: ["app", "tier=web"] });
  assert.equal(f.hasLabelRules, true);
  assert.equal(f.labelsAllowed({ app: "x", tier: "web" }), true);
  assert.equal(f.labelsAllowed({ app: "", tier: "web" }), true, "an empty value is present");
  assert.equal(f.labelsAllowed({ app: "x", tier: "db" }), false);
  assert.equal(f.labelsAllowed({ tier: "web" }), false);
  assert.equal(f.labelsAllowed(undefined), false);
});

Deno.test("NameLabelFilter refuses objects matching any exclude label rule", () => {
  const f = new NameLabelFilter({ excludeLabels: ["skip", "env=dev"] });
  assert.equal(f.labelsAllowed(undefined), true);
  assert.equal(f.labelsAllowed({ env: "prod" }), true);
  assert.equal(f.labelsAllowed({ env: "dev" }), false);
  assert.equal(f.labelsAllowed({ skip: "false" }), false, "a key rule checks presence only");
});

Deno.test("NameLabelFilter trims spaces around label rule keys and values", () => {
  const f = new NameLabelFilter({ includeLabels: [" tier = web "] });
  assert.equal(f.labelsAllowed({ tier: "web" }), true);
  assert.equal(f.labelSelector(), "tier=web");
});

Deno.test("NameLabelFilter needs both the name and the labels to be allowed", () => {
  const f = new NameLabelFilter({ include: ["a*"], includeLabels: ["x"] });
  assert.equal(f.allowed("ab", { x: "1" }), true);
  assert.equal(f.allowed("ba", { x: "1" }), false);
  assert.equal(f.allowed("ab", {}), false);
});

Deno.test("NameLabelFilter writes its label rules as one Kubernetes labelSelector", () => {
  const f = new NameLabelFilter({
    includeLabels: ["app", "tier=web"],
    excludeLabels: ["skip", "env=dev"],
  });
  assert.equal(f.labelSelector(), "app,tier=web,!skip,env!=dev");
});

Deno.test("NameLabelFilter lists literal include names, and none once one is a glob", () => {
  assert.deepEqual(new NameLabelFilter({ include: ["a", "b"] }).literalNames, ["a", "b"]);
  assert.equal(new NameLabelFilter({ include: ["a", "b*"] }).literalNames, undefined);
  assert.equal(new NameLabelFilter({ exclude: ["a"] }).literalNames, undefined);
});

Deno.test("keyMatcher() with a key matches that key exactly", () => {
  const m = keyMatcher({ key: "tls.crt", keyPatterns: ["ignored"] });
  assert.equal(m("tls.crt"), true);
  assert.equal(m("tlsxcrt"), false);
  assert.equal(m("ignored"), false);
});

Deno.test("keyMatcher() with patterns matches any of them as unanchored regular expressions", () => {
  const m = keyMatcher({ keyPatterns: ["\\.crt$", "^ca"] });
  assert.equal(m("tls.crt"), true);
  assert.equal(m("ca.pem"), true);
  assert.equal(m("tls.key"), false);
});

Deno.test("keyMatcher() with neither a key nor patterns matches nothing", () => {
  assert.equal(keyMatcher({})("tls.crt"), false);
  assert.equal(keyMatcher({ key: undefined, keyPatterns: [] })(""), false);
});
