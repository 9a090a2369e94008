/**
 * `egress-audit rules lint FILE`: checks a rule pack beyond validity and reports errors and
 * warnings, each with file:line:column — duplicate ids, rules that can never match because an
 * earlier rule (or a deny rule) already covers them, overlapping wildcards, `*.` over a public
 * suffix, a port range that covers everything. Pure: never prints, never throws on a bad file
 * (an invalid file is reported as one error finding).
 */
import { RulesError, RulesInvalidError } from '../errors';
import { patternCovers } from './domain-matcher';
import { loadPackFile } from './load-rules';
import { isPublicSuffix } from './public-suffixes';
import type { CompiledRule, RulePack, SourceLocation } from './rule-file';
import type { DomainPattern } from './domain-matcher';
import { MAX_PORT, MIN_PORT } from './port-set';
import { KNOWN_APPS, TCP_ONLY_APPS, UDP_ONLY_APPS } from './apps';

export { KNOWN_APPS } from './apps';

/** One lint result. `code` is stable (usable in CI filters). */
export interface LintFinding {
  severity: 'error' | 'warning';
  code:
    | 'rules-invalid'
    | 'duplicate-id'
    | 'shadowed-rule'
    | 'overlapping-wildcard'
    | 'public-suffix-wildcard'
    | 'all-ports'
    | 'unknown-app'
    | 'resolvers-without-dns'
    | 'app-transport'
    | 'all-addresses'
    | 'host-bits-set';
  message: string;
  file: string;
  line: number;
  column: number;
  /** Rule id concerned, when there is one. */
  rule?: string;
}

/** `file:line:column: severity: message [code]` — the one-line form the CLI prints. */
export function formatFinding(f: LintFinding): string {
  return `${f.file}:${f.line}:${f.column}: ${f.severity}: ${f.message} [${f.code}]`;
}

/** Loads and lints a file; an invalid file gives one `rules-invalid` error. Sorted by position. */
export function lintPack(file: string): LintFinding[] {
  let pack: RulePack;
  try {
    pack = loadPackFile(file);
  } catch (e) {
    if (e instanceof RulesInvalidError) {
      return [{ severity: 'error', code: 'rules-invalid', message: e.message.slice(`${e.file}:${e.line}:${e.column}: `.length), file: e.file, line: e.line, column: e.column }];
    }
    if (e instanceof RulesError) return [{ severity: 'error', code: 'rules-invalid', message: e.message, file, line: 1, column: 1 }];
    throw e;
  }
  return lintLoadedPack(pack);
}

/** Lints a pack that loaded; findings sorted by line then column. */
export function lintLoadedPack(pack: RulePack): LintFinding[] {
  const out: LintFinding[] = [];
  const add = (severity: LintFinding['severity'], code: LintFinding['code'], l: SourceLocation, message: string, rule?: string) =>
    out.push({ severity, code, message, file: l.file, line: l.line, column: l.column, ...(rule ? { rule } : {}) });

  const seen = new Map<string, CompiledRule>();
  for (const r of pack.rules) {
    const first = seen.get(r.id);
    if (first) add('error', 'duplicate-id', r.loc, `rule id '${r.id}' is already used at line ${first.loc.line}`, r.id);
    else seen.set(r.id, r);

    if (r.ports.ranges.length === 1 && r.ports.ranges[0].from === MIN_PORT && r.ports.ranges[0].to === MAX_PORT) {
      add('warning', 'all-ports', r.portsLoc, `rule ${r.id} covers every port (${MIN_PORT}-${MAX_PORT}); list the documented ports instead`, r.id);
    }
    if (r.app !== null && !KNOWN_APPS.has(r.app)) add('warning', 'unknown-app', r.loc, `rule ${r.id}: app '${r.app}' is not one the engine reports (${[...KNOWN_APPS].join(', ')})`, r.id);
    if (r.resolvers !== null && r.app !== 'dns') add('warning', 'resolvers-without-dns', r.loc, `rule ${r.id} lists resolvers but its app is not dns`, r.id);
    if (r.app !== null && ((TCP_ONLY_APPS.has(r.app) && !r.protos.has('tcp')) || (UDP_ONLY_APPS.has(r.app) && !r.protos.has('udp')))) {
      const over = TCP_ONLY_APPS.has(r.app) ? 'tcp' : 'udp';
      add('warning', 'app-transport', r.loc, `rule ${r.id} can never match: app '${r.app}' is only seen over ${over.toUpperCase()}, and the rule is for ${[...r.protos].join(', ').toUpperCase()} (proto: ${over} or both)`, r.id);
    }
    const locs = hostLocIndex(r);
    for (const l of r.addresses.literals) {
      const at = locs.exact.get(l.text) ?? r.loc;
      if (l.prefix === 0) {
        add('warning', 'all-addresses', at, `rule ${r.id}: '${l.text}' covers every ${l.family === 'ipv4' ? 'IPv4' : 'IPv6'} address; write hosts: any if that is meant, or list the documented addresses`, r.id);
      } else if (hasHostBits(l.address, l.prefix, l.family)) {
        add('warning', 'host-bits-set', at, `rule ${r.id}: '${l.text}' has bits set past its /${l.prefix} prefix, so it means the whole prefix, not the address written; write the network address, or the address alone`, r.id);
      }
    }

    const hostLoc = (text: string) => locs.folded.get(text) ?? r.loc;
    const patterns = new PatternIndex(r.domainPatterns);
    r.domainPatterns.forEach((p, i) => {
      if (p.kind === 'wildcard' && isPublicSuffix(p.suffix)) {
        add('warning', 'public-suffix-wildcard', hostLoc(p.text), `rule ${r.id}: '${p.text}' covers a public suffix, so it allows every registrant under .${p.suffix}`, r.id);
      }
      for (const j of patterns.coverersOf(p)) {
        const q = r.domainPatterns[j];
        if (i !== j && (j < i || !patternCovers(p, q))) {
          add('warning', 'overlapping-wildcard', hostLoc(p.text), `rule ${r.id}: '${p.text}' is already covered by '${q.text}'`, r.id);
        }
      }
    });
  }

  // A rule that an earlier allow rule (or any deny rule) always matches first can never declare.
  const allows = pack.rules.filter((r) => r.kind !== 'deny');
  const denies = new RuleIndex(pack.rules.filter((r) => r.kind === 'deny'));
  const earlier = new RuleIndex(allows);
  allows.forEach((r, i) => {
    const e = earlier.firstCovering(r, i, false);
    if (e) add('warning', 'shadowed-rule', r.loc, `rule ${r.id} never declares anything: rule ${e.id} (line ${e.loc.line}) matches every flow it would`, r.id);
    const deny = denies.firstCovering(r, Infinity, true);
    if (deny) add('warning', 'shadowed-rule', r.loc, `rule ${r.id} never declares anything: deny rule ${deny.id} (line ${deny.loc.line}) matches every flow it would`, r.id);
  });
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * Where each `hosts:` entry of a rule was written, by its text as written (trimmed: `exact`, for
 * addresses) and lower-cased without a trailing dot (`folded`, for name patterns); the first
 * entry wins, as a scan from the top would find it. Built once per rule: finding each entry by a
 * scan was quadratic in the entries (4096 a rule).
 */
function hostLocIndex(r: CompiledRule): { exact: Map<string, SourceLocation>; folded: Map<string, SourceLocation> } {
  const exact = new Map<string, SourceLocation>();
  const folded = new Map<string, SourceLocation>();
  for (const h of r.hostLocs) {
    const t = h.text.trim();
    if (!exact.has(t)) exact.set(t, h.loc);
    const lower = t.toLowerCase();
    if (!folded.has(lower)) folded.set(lower, h.loc);
    const bare = lower.replace(/\.$/, '');
    if (!folded.has(bare)) folded.set(bare, h.loc);
  }
  return { exact, folded };
}

/**
 * The patterns of a list by what they can cover, so that the patterns covering one are found by
 * looking up its suffix and the suffixes above it (a few labels) instead of comparing it with
 * every other pattern (quadratic: 4096 patterns a rule, and a 1 MiB pack holds hundreds of
 * such rules).
 */
class PatternIndex {
  /** Indices of exact patterns by name, and of wildcards by the suffix they stand over; each list ascending. */
  private readonly exact = new Map<string, number[]>();
  private readonly wildcard = new Map<string, number[]>();

  constructor(patterns: readonly DomainPattern[]) {
    patterns.forEach((p, i) => push(p.kind === 'exact' ? this.exact : this.wildcard, p.suffix, i));
  }

  /** Ascending indices of the patterns `q` with patternCovers(q, p) (p itself among them). */
  coverersOf(p: DomainPattern): number[] {
    const lists: (readonly number[])[] = [(p.kind === 'exact' ? this.exact : this.wildcard).get(p.suffix) ?? []];
    // A wildcard over any proper suffix of p's name covers it, whatever p's kind.
    for (let dot = p.suffix.indexOf('.'); dot >= 0; dot = p.suffix.indexOf('.', dot + 1)) {
      const w = this.wildcard.get(p.suffix.slice(dot + 1));
      if (w !== undefined) lists.push(w);
    }
    return mergeAscending(lists);
  }
}

/**
 * Rules by the first of their name patterns' coverers, so that the rule covering another is
 * looked for among the few that could (rules with `hosts: any`, and rules with a pattern covering
 * the other's first pattern), in file order, instead of among all earlier rules (quadratic in
 * the rules: a pack that lists each domain as a rule of its own).
 */
class RuleIndex {
  private readonly patterns: DomainPattern[] = [];
  /** For each entry of `patterns`, the index of its rule. */
  private readonly ruleOf: number[] = [];
  private readonly anyHost: number[] = [];
  private readonly index: PatternIndex;

  constructor(private readonly rules: readonly CompiledRule[]) {
    rules.forEach((r, i) => {
      if (r.anyHost) this.anyHost.push(i);
      for (const p of r.domainPatterns) { this.patterns.push(p); this.ruleOf.push(i); }
    });
    this.index = new PatternIndex(this.patterns);
  }

  /** The first rule before index `before` that covers `inner` (covers(rule, inner, outerIsDeny)), or undefined: what a scan in file order finds. */
  firstCovering(inner: CompiledRule, before: number, outerIsDeny: boolean): CompiledRule | undefined {
    let candidates: number[];
    if (!inner.anyHost && inner.addresses.size === 0 && inner.domainPatterns.length > 0) {
      // Only a rule with hosts: any, or one with a pattern covering inner's first pattern, can cover inner.
      const byPattern = this.index.coverersOf(inner.domainPatterns[0]).map((k) => this.ruleOf[k]);
      candidates = mergeAscending([this.anyHost, byPattern]);
    } else if (inner.domainPatterns.length === 0 && !inner.anyHost && inner.addresses.size === 0) {
      candidates = this.rules.map((_, i) => i); // no hosts at all: every rule is a candidate
    } else {
      candidates = this.anyHost; // inner takes any host or addresses: only hosts: any covers it
    }
    for (const i of candidates) {
      if (i >= before) break;
      if (covers(this.rules[i], inner, outerIsDeny)) return this.rules[i];
    }
    return undefined;
  }
}

function push(m: Map<string, number[]>, k: string, v: number): void {
  const l = m.get(k);
  if (l === undefined) m.set(k, [v]);
  else l.push(v);
}

/** The distinct numbers of lists, ascending (one list is taken as it is: ascending and distinct already). */
function mergeAscending(lists: readonly (readonly number[])[]): number[] {
  if (lists.length === 1) return lists[0] as number[];
  const all = lists.flat().sort((a, b) => a - b);
  return all.filter((v, i) => i === 0 || all[i - 1] !== v);
}

/** True when `outer` matches every flow `inner` would match (whenever `inner` is active). */
function covers(outer: CompiledRule, inner: CompiledRule, outerIsDeny = false): boolean {
  if (outer.direction !== inner.direction) return false;
  if (![...inner.protos].every((p) => outer.protos.has(p))) return false;
  if (!outer.ports.covers(inner.ports)) return false;
  if (outer.app !== null && outer.app !== inner.app) return false;
  if (!outerIsDeny && outer.resolvers !== null && inner.resolvers === null) return false;
  // Active whenever inner is: every condition of outer is also a condition of inner.
  if (!Object.entries(outer.when).every(([k, v]) => inner.when[k] === v)) return false;
  if (outer.anyHost) return true;
  if (inner.anyHost || inner.addresses.size > 0) return false;
  return inner.domainPatterns.every((p) => outer.domainPatterns.some((o) => patternCovers(o, p)));
}

/** True when `address` has bits set past `prefix` (`198.51.100.7/24`). */
function hasHostBits(address: string, prefix: number, family: 'ipv4' | 'ipv6'): boolean {
  const max = family === 'ipv4' ? 32 : 128;
  if (prefix >= max) return false;
  const bytes = family === 'ipv4' ? address.split('.').map(Number) : ipv6Bytes(address);
  if (bytes === null) return false;
  for (let bit = prefix; bit < max; bit++) if ((bytes[bit >> 3] >> (7 - (bit & 7))) & 1) return true;
  return false;
}

/** The 16 bytes of an IPv6 address (node's parser accepted it already), or null. */
function ipv6Bytes(address: string): number[] | null {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, null];
  const words = (t: string): string[] => (t === '' ? [] : t.split(':'));
  const h = words(head);
  const tl = tail === null ? [] : words(tail);
  const groups: string[] = [];
  for (const g of [...h, ...(tail === null ? [] : Array(8 - h.length - tl.length).fill('0')), ...tl]) groups.push(g);
  if (groups.length !== 8 || groups.some((g) => g.includes('.'))) return null; // an embedded IPv4 tail: not checked
  const out: number[] = [];
  for (const g of groups) { const v = parseInt(g, 16); out.push(v >> 8, v & 0xff); }
  return out;
}
