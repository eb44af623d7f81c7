import { example, renderRaw } from "../chart/_render.ts";
const args = Deno.args.length ? Deno.args : example("cabundles-webhooks");
const r = await renderRaw(args);
console.log(r.code, r.stderr);
console.log(r.stdout.split("\n---").filter((d) => /kind: (ClusterRole|ConfigMap)\b|cabundles/.test(d)).join("\n---"));
