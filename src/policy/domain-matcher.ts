/**
 * Domain patterns of the rule files: exact names and `*.example.com` wildcards, compiled once
 * into an immutable trie over reversed labels (ripgrep's globset, hono's build-once matchers),
 * plus a deliberately naive reference matcher that the shared case table checks it against.
 *
 * Semantics (the project's documented choice, also stated in every pack header): matching is
 * case-insensitive, one trailing dot is ignored, internationalised names are compared in
 * punycode, and `*.example.com` matches names with ONE OR MORE labels in front of
 * `example.com`, never `example.com` itself. Must never match a name that failed to normalise
 * (empty labels, spaces, over-long labels): an unparseable name matches nothing.
 */
import { domainToASCII, domainToUnicode } from 'node:url';

/** RFC 1035 §2.3.4: a name is at most 253 characters in text form (255 octets on the wire). */
export const MAX_NAME_LENGTH = 253;
/** RFC 1035 §2.3.4: a label is at most 63 octets. */
export const MAX_LABEL_LENGTH = 63;

// Letters, digits, hyphen, plus underscore (service labels like _dns-sd are real on the wire).
const LABEL_RE = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$/;
/** A label with a character beyond ASCII: an internationalised one, converted to punycode. */
const NON_ASCII_RE = /[^\u0000-\u007f]/;
/** An ASCII character no label has (`/`, `%`, `\`, a space, a control character, ...). */
const ASCII_NOT_LDH_RE = /[\u0000-\u002c\u002f\u003a-\u0040\u005b-\u005e\u0060\u007b-\u007f]/;

/**
 * Normalises a host name for comparison: trims, drops one trailing dot, converts IDN to
 * punycode (lowercase ASCII) and validates every label. Returns null when the text is not a
 * usable DNS name (empty labels, bad characters, too long). Allocates; call once per name.
 */
export function normalizeDomainName(name: string): string | null {
  const known = normalized.get(name);
  if (known !== undefined) return known;
  const n = normalizeUncached(name);
  if (normalized.size >= NORMALIZED_ENTRIES) normalized.clear();
  normalized.set(name, n);
  return n;
}

/**
 * Names normalised recently, and the result. Every rule that lists hosts normalises the flow's
 * names again, and a run's records repeat the same few hundred names: through node:url's
 * domainToASCII that cost ~2 µs a call (measured: 5% of a replay of the benchmark capture with
 * a rule pack). The memo only repeats results, so it cannot change one; past its size it
 * starts over.
 */
const normalized = new Map<string, string | null>();
const NORMALIZED_ENTRIES = 4096;

/**
 * Label by label, so that the labels compared are the labels of the name: an ASCII label must
 * already be a valid one (letters, digits, hyphen, underscore); a label with other characters
 * goes through IDNA only when that changes nothing but its form (domainToUnicode of the result
 * gives the label back). Before this, the whole name went through `domainToASCII`, which parses
 * a URL host: it cut `api.nebra.com/.attacker.net` (and `?`, `#`, `\`) to `api.nebra.com`,
 * decoded `%41`, dropped tabs and zero-width spaces, and turned a fullwidth dot inside a label
 * into a label separator — a name under attacker.net was then declared by `*.nebra.com`.
 */
function normalizeUncached(name: string): string | null {
  let t = name.trim();
  if (t.endsWith('.')) t = t.slice(0, -1);
  if (t.length === 0 || t.length > MAX_NAME_LENGTH * 4) return null;
  const labels = t.toLowerCase().split('.');
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!LABEL_RE.test(label)) {
      if (!NON_ASCII_RE.test(label) || ASCII_NOT_LDH_RE.test(label)) return null;
      const ascii = domainToASCII(label);
      if (ascii.includes('.') || domainToUnicode(ascii) !== label.normalize('NFC')) return null;
      labels[i] = ascii;
    }
    if (labels[i].length === 0 || labels[i].length > MAX_LABEL_LENGTH || !LABEL_RE.test(labels[i])) return null;
  }
  const ascii = labels.join('.');
  return ascii.length > MAX_NAME_LENGTH ? null : ascii;
}

/** A validated domain pattern: `exact` names one host; `wildcard` is `*.` + `suffix`. */
export interface DomainPattern {
  readonly kind: 'exact' | 'wildcard';
  /** Normalised name (exact) or the part after `*.` (wildcard). */
  readonly suffix: string;
  /** Normalised text as written back in reports: `a.example.com` or `*.example.com`. */
  readonly text: string;
}

/**
 * Parses one pattern as written in a rule file. Returns the pattern, or an error string saying
 * what is wrong (the loader turns it into a file:line:column message). Never throws.
 */
export function parseDomainPattern(raw: string): DomainPattern | string {
  const t = raw.trim();
  if (t.length === 0) return 'empty domain pattern';
  if (t === '*') return "'*' alone is not a pattern; write 'any' to allow every host";
  let kind: DomainPattern['kind'] = 'exact';
  let body = t;
  if (t.startsWith('*.')) {
    kind = 'wildcard';
    body = t.slice(2);
  }
  if (body.includes('*')) return `'${raw}': '*' is only allowed as the whole first label ('*.example.com')`;
  const name = normalizeDomainName(body);
  if (name === null) return `'${raw}' is not a valid domain name (empty label, bad character or too long)`;
  return { kind, suffix: name, text: kind === 'wildcard' ? `*.${name}` : name };
}

/** What every matcher implementation offers; the shared case table runs against each. */
export interface DomainMatcher {
  /** The first pattern (in compile order) matching `name`, or null. `name` is normalised first. */
  match(name: string): string | null;
  /** True when some pattern matches `name`. */
  matches(name: string): boolean;
}

interface TrieNode {
  readonly children: Map<string, TrieNode>;
  /** Pattern text when an exact pattern ends at this node. */
  exact: string | null;
  /** Pattern text when a `*.` pattern has this node as its suffix. */
  wildcard: string | null;
}

function newNode(): TrieNode {
  return { children: new Map(), exact: null, wildcard: null };
}

function freezeTrie(root: TrieNode): void {
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop() as TrieNode;
    Object.freeze(node);
    for (const child of node.children.values()) stack.push(child);
  }
}

/**
 * The fast matcher: a trie keyed by reversed labels (`com` → `example` → `a`). A lookup walks
 * the name's labels from the right once, so cost is O(labels) whatever the number of patterns.
 * Built by `compile` and never modified afterwards (there is no add method by design).
 */
export class DomainTrie implements DomainMatcher {
  readonly #root: TrieNode;
  /** The patterns as compiled, normalised, in order. */
  readonly patterns: readonly string[];

  private constructor(root: TrieNode, patterns: readonly string[]) {
    this.#root = root;
    this.patterns = patterns;
  }

  /** Compiles validated patterns (see `parseDomainPattern`); throws on an invalid one (programming error). */
  static compile(patterns: readonly (string | DomainPattern)[]): DomainTrie {
    const root = newNode();
    const texts: string[] = [];
    for (const p of patterns) {
      const pat = typeof p === 'string' ? parseDomainPattern(p) : p;
      if (typeof pat === 'string') throw new TypeError(`DomainTrie.compile: ${pat}`);
      let node = root;
      const labels = pat.suffix.split('.');
      for (let i = labels.length - 1; i >= 0; i--) {
        let next = node.children.get(labels[i]);
        if (next === undefined) {
          next = newNode();
          node.children.set(labels[i], next);
        }
        node = next;
      }
      // The first pattern wins so that `match` reports compile order, like the naive matcher.
      if (pat.kind === 'exact') node.exact ??= pat.text;
      else node.wildcard ??= pat.text;
      texts.push(pat.text);
    }
    freezeTrie(root);
    return new DomainTrie(root, Object.freeze(texts));
  }

  match(name: string): string | null {
    const n = normalizeDomainName(name);
    if (n === null) return null;
    const labels = n.split('.');
    let node: TrieNode | undefined = this.#root;
    let best: string | null = null;
    for (let i = labels.length - 1; i >= 0 && node !== undefined; i--) {
      node = node.children.get(labels[i]);
      if (node === undefined) break;
      if (i === 0) {
        if (node.exact !== null) return node.exact;
      } else if (node.wildcard !== null) {
        // At least one label (labels[0..i-1]) remains in front of the suffix. Deeper nodes
        // are longer suffixes, so the most specific wildcard wins (same as the naive matcher).
        best = node.wildcard;
      }
    }
    return best;
  }

  matches(name: string): boolean {
    return this.match(name) !== null;
  }
}

/**
 * The reference matcher: compares the name against every pattern with string operations, so
 * it is obviously right and O(patterns). Only tests (and lint) use it.
 */
export class NaiveDomainMatcher implements DomainMatcher {
  readonly #patterns: DomainPattern[];

  constructor(patterns: readonly string[]) {
    this.#patterns = patterns.map((p) => {
      const pat = parseDomainPattern(p);
      if (typeof pat === 'string') throw new TypeError(`NaiveDomainMatcher: ${pat}`);
      return pat;
    });
  }

  match(name: string): string | null {
    const n = normalizeDomainName(name);
    if (n === null) return null;
    for (const p of this.#patterns) {
      if (p.kind === 'exact' && n === p.suffix) return p.text;
    }
    let best: DomainPattern | null = null;
    for (const p of this.#patterns) {
      if (p.kind === 'wildcard' && n.endsWith(`.${p.suffix}`) && (best === null || p.suffix.length > best.suffix.length)) best = p;
    }
    return best === null ? null : best.text;
  }

  matches(name: string): boolean {
    return this.match(name) !== null;
  }
}

/**
 * True when every name `inner` can match is also matched by wildcard/exact `outer`
 * (used by lint for overlapping patterns and shadowed rules).
 */
export function patternCovers(outer: DomainPattern, inner: DomainPattern): boolean {
  if (outer.kind === 'exact') return inner.kind === 'exact' && inner.suffix === outer.suffix;
  return inner.suffix.endsWith(`.${outer.suffix}`) || (inner.kind === 'wildcard' && inner.suffix === outer.suffix);
}
