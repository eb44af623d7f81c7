import { CRITICAL_DAYS, WARNING_DAYS } from "./_status_model.ts";

/** Colour of a week's bar: the week's first day against the alert thresholds. */
function colour(week: number): string {
  const day = week * 7;
  if (day < CRITICAL_DAYS) return "#cf222e";
  if (day < WARNING_DAYS) return "#bf8700";
  return "#2da44e";
}

/**
 * An inline SVG bar chart of how many certificates expire in each of the
 * coming weeks: scales with its container (viewBox), readable without script.
 */
export function weeklyHistogram(weeks: readonly number[]): string {
  const w = 600;
  const h = 170;
  const top = 18;
  const base = h - 26;
  const slot = w / weeks.length;
  const max = Math.max(1, ...weeks);
  let bars = "";
  weeks.forEach((n, i) => {
    const bh = Math.round(((base - top) * n) / max);
    const x = Math.round(i * slot + slot * 0.15);
    const bw = Math.round(slot * 0.7);
    const label = i === 0 ? "this week" : `week ${i + 1}`;
    bars += `<g><title>${label}: ${n} certificate(s)</title>` +
      `<rect x="${x}" y="${base - bh}" width="${bw}" height="${
        Math.max(bh, n > 0 ? 1 : 0)
      }" fill="${colour(i)}"/>` +
      `<text x="${x + bw / 2}" y="${base - bh - 4}" text-anchor="middle" class="n">${n}</text>` +
      `<text x="${x + bw / 2}" y="${h - 8}" text-anchor="middle">+${i}w</text></g>`;
  });
  const total = weeks.reduce((a, b) => a + b, 0);
  return `<svg class="hist" viewBox="0 0 ${w} ${h}" role="img" aria-label="${total} certificate(s) expire in the next ${weeks.length} weeks">` +
    `<line x1="0" y1="${base}" x2="${w}" y2="${base}" stroke="#888"/>${bars}</svg>`;
}
