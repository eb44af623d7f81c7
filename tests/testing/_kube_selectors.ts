/**
 * Label and field selectors as the kube-apiserver parses them, so the test server
 * filters exactly what a real cluster would.
 */

/** A parsed selector: an object passes when every requirement holds. */
export type Selector = (labels: Readonly<Record<string, string>>) => boolean;

type Requirement = (labels: Readonly<Record<string, string>>) => boolean;

/** Thrown for a selector the real server would refuse with 400 BadRequest. */
export class SelectorError extends SyntaxError {
  readonly selector: string;
  constructor(message: string, selector: string) {
    super(`${message}: ${selector}`);
    this.name = "SelectorError";
    this.selector = selector;
  }
}

/** Splits on commas that are not inside `in (a,b)` parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms.map((t) => t.trim()).filter((t) => t !== "");
}

function parseLabelTerm(term: string, whole: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (set) {
    const [, key = "", op, list = ""] = set;
    const values = new Set(list.split(",").map((v) => v.trim()));
    return op === "in"
      ? (l) => key in l && values.has(l[key] ?? "")
      : (l) => !(key in l) || !values.has(l[key] ?? "");
  }
  const cmp = /^([^!=\s]+)\s*(==|!=|=)\s*(\S*)$/.exec(term);
  if (cmp) {
    const [, key = "", op, value = ""] = cmp;
    return op === "!=" ? (l) => l[key] !== value : (l) => key in l && l[key] === value;
  }
  if (/^!\s*[^!=\s()]+$/.test(term)) {
    const key = term.slice(1).trim();
    return (l) => !(key in l);
  }
  if (/^[^!=\s()]+$/.test(term)) return (l) => term in l;
  throw new SelectorError("Unable to parse requirement", whole);
}

/** Parses `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, comma-ANDed. */
export function parseLabelSelector(selector: string): Selector {
  const reqs = splitTerms(selector).map((t) => parseLabelTerm(t, selector));
  return (labels) => reqs.every((r) => r(labels));
}

/**
 * Parses a field selector restricted to `fields` (the real server answers 400 for
 * any field a resource does not index). Values are matched as strings.
 */
export function parseFieldSelector(selector: string, fields: readonly string[]): Selector {
  const reqs = splitTerms(selector).map((term): Requirement => {
    const m = /^([^!=\s]+)\s*(==|!=|=)\s*(\S*)$/.exec(term);
    if (!m) throw new SelectorError("Invalid field selector", selector);
    const [, key = "", op, value = ""] = m;
    if (!fields.includes(key)) {
      throw new SelectorError(`Field label not supported: ${key}`, selector);
    }
    return op === "!=" ? (f) => f[key] !== value : (f) => f[key] === value;
  });
  return (fieldValues) => reqs.every((r) => r(fieldValues));
}
