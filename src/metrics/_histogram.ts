import type { Histograms } from "../histogram.ts";
import { escapeLabelValue } from "./labels.ts";

/** A histogram family in the text format, `le` first as client libraries write it. */
export function renderHistogram(name: string, help: string, h: Histograms): string {
  let out = `# HELP ${name} ${help}\n# TYPE ${name} histogram\n`;
  for (const s of h.series()) {
    const labels = s.labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",");
    const rest = labels ? `,${labels}` : "";
    h.bounds.forEach((bound, i) => {
      out += `${name}_bucket{le="${bound}"${rest}} ${s.buckets[i]}\n`;
    });
    out += `${name}_bucket{le="+Inf"${rest}} ${s.count}\n`;
    out += `${name}_sum{${labels}} ${s.sum}\n${name}_count{${labels}} ${s.count}\n`;
  }
  return out;
}
