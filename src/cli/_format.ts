import { parseDuration } from "../config/duration.ts";

/** Text helpers of the CLI: colour only on a terminal, aligned columns, durations. */

/** Colours for a terminal that wants them (not NO_COLOR, not piped). */
export function useColour(): boolean {
  return Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR");
}

const CODES = { red: 31, yellow: 33, green: 32, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export function paint(text: string, colour: Colour | undefined, on: boolean): string {
  return on && colour ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
}

/** Rows as aligned columns; `colours[i]` paints row i (header excluded). */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  colours: readonly (Colour | undefined)[],
  colour: boolean,
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  const out = [paint(line(header), "bold", colour)];
  rows.forEach((r, i) => out.push(paint(line(r), colours[i], colour)));
  return out.join("\n");
}

/** `30d`, `2w`, or a Go duration (`720h`), in seconds. */
export function parseWindow(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([dw])$/.exec(text);
  if (m) return Number(m[1]) * (m[2] === "w" ? 7 : 1) * 86_400;
  const ms = parseDuration(text);
  return ms === undefined ? undefined : ms / 1000;
}

/** `2027-01-31 12:00` (UTC). */
export function shortDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
}

/** Days left, one decimal. */
export function daysLeft(notAfter: number, now: number): string {
  return ((notAfter - now) / 86_400).toFixed(1);
}
