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
      const negate = segment[i + 1] === "!" || segment[i + 1] === "^";
      const first = i + (negate ? 2 : 1);
      // The first member may be `]` itself: the class closes at a later one.
      const close = segment.indexOf("]", first + 1);
      if (close < 0) {
        re += "\\[";
        continue;
      }
      const body = segment.slice(first, close);
      // `]` can be the first member; in a JS class it (and `\`) must be escaped.
      re += `[${negate ? "^" : ""}${body.replace(/[\]\\]/g, "\\$&")}]`;
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

/**
 * Why `pattern` is not a valid shell glob, as Go's `path.Match` judges it (upstream
 * validates name filters with it): an unclosed or empty `[...]`, a range with no end,
 * a trailing backslash. Undefined when it is valid.
 */
export function shellGlobError(pattern: string): string | undefined {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      if (++i >= pattern.length) return "a backslash ends the pattern";
    } else if (c === "[") {
      let j = i + 1;
      if (pattern[j] === "^" || pattern[j] === "!") j++;
      let items = 0;
      for (;; items++) {
        if (j >= pattern.length) return "a character class is not closed";
        if (pattern[j] === "]") {
          if (items > 0) break;
          return "a character class is empty";
        }
        // As Go: a class item never starts with "-".
        if (pattern[j] === "-") return "a range has no start";
        if (pattern[j] === "\\") j++;
        if (++j >= pattern.length) return "a character class is not closed";
        if (pattern[j] === "-") {
          if (pattern[j + 1] === "]" || j + 1 >= pattern.length) return "a range has no end";
          if (pattern[++j] === "\\") j++;
          j++;
        }
      }
      i = j;
    }
  }
  return undefined;
}

/**
 * Why a file source's path pattern would not compile in upstream's fileglob (it refuses
 * braces, backslashes and `**` inside a segment), undefined when it is valid.
 */
export function fileGlobError(pattern: string): string | undefined {
  if (/[{}]/.test(pattern)) return "braces are not supported";
  if (pattern.includes("\\")) return "backslashes are not supported";
  if (pattern.split("/").some((seg) => seg.includes("**") && seg !== "**")) {
    return "** must be a whole path segment";
  }
  return shellGlobError(pattern);
}
