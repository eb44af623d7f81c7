/**
 * Glob matching for file sources: `*`, `?`, `[...]` within one path segment
 * and `**` across any number of directories (Go's filepath.Match semantics
 * per segment, plus `**` as in doublestar).
 */

/** True when `text` contains a glob wildcard. */
export function isGlob(text: string): boolean {
  return /[*?[]/.test(text);
}

/** Compiles one path segment (no `/`) into an anchored RegExp. */
export function segmentRegExp(segment: string): RegExp {
  let re = "";
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const close = segment.indexOf("]", i + 2);
      if (close < 0) {
        re += "\\[";
        continue;
      }
      let body = segment.slice(i + 1, close);
      if (body.startsWith("!") || body.startsWith("^")) body = "^" + body.slice(1);
      re += `[${body.replace(/\\/g, "\\\\")}]`;
      i = close;
    } else if (c === "\\" && i + 1 < segment.length) {
      re += escapeRe(segment[++i]!);
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** Compiles a whole-path glob (with `**`) into an anchored RegExp, for exclusions. */
export function pathRegExp(pattern: string): RegExp {
  const parts = pattern.split("/");
  let re = "";
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (part === "**") {
      re += last ? ".*" : "(?:[^/]*/)*";
      return;
    }
    re += segmentRegExp(part).source.slice(1, -1) + (last ? "" : "/");
  });
  return new RegExp(`^${re}$`);
}

/** The directory-walk plan for a pattern: a literal root and the segments below it. */
export function splitPattern(pattern: string): { root: string; segments: string[] } {
  const parts = pattern.split("/");
  const firstGlob = parts.findIndex((p) => isGlob(p));
  if (firstGlob < 0) return { root: pattern, segments: [] };
  const root = parts.slice(0, firstGlob).join("/") || (pattern.startsWith("/") ? "/" : ".");
  return { root, segments: parts.slice(firstGlob) };
}
