/** Runs `promtool check metrics` on a body; returns its complaints (empty = clean). */
export async function promtoolCheckMetrics(body: string): Promise<string> {
  const child = new Deno.Command("promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(body));
  await writer.close();
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success && text.trim() === "") return `promtool exited ${out.code}`;
  return out.success ? text.trim() : text.trim() || "failed";
}

/** True when promtool is installed (CI installs it; a bare dev box may not have it). */
export function hasPromtool(): boolean {
  try {
    new Deno.Command("promtool", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync();
    return true;
  } catch {
    return false;
  }
}
