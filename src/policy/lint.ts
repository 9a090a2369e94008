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
import { MAX_PORT, MIN_PORT } from './port-set';
import { KNOWN_APPS } from './apps';

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
    | 'resolvers-without-dns';
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

    const hostLoc = (text: string) => r.hostLocs.find((h) => h.text.trim().toLowerCase() === text || h.text.trim().toLowerCase().replace(/\.$/, '') === text)?.loc ?? r.loc;
    r.domainPatterns.forEach((p, i) => {
      if (p.kind === 'wildcard' && isPublicSuffix(p.suffix)) {
        add('warning', 'public-suffix-wildcard', hostLoc(p.text), `rule ${r.id}: '${p.text}' covers a public suffix, so it allows every registrant under .${p.suffix}`, r.id);
      }
      r.domainPatterns.forEach((q, j) => {
        if (i !== j && patternCovers(q, p) && (j < i || !patternCovers(p, q))) {
          add('warning', 'overlapping-wildcard', hostLoc(p.text), `rule ${r.id}: '${p.text}' is already covered by '${q.text}'`, r.id);
        }
      });
    });
  }

  // A rule that an earlier allow rule (or any deny rule) always matches first can never declare.
  const allows = pack.rules.filter((r) => r.kind !== 'deny');
  const denies = pack.rules.filter((r) => r.kind === 'deny');
  allows.forEach((r, i) => {
    const earlier = allows.slice(0, i).find((e) => covers(e, r));
    if (earlier) add('warning', 'shadowed-rule', r.loc, `rule ${r.id} never declares anything: rule ${earlier.id} (line ${earlier.loc.line}) matches every flow it would`, r.id);
    const deny = denies.find((d) => covers(d, r, true));
    if (deny) add('warning', 'shadowed-rule', r.loc, `rule ${r.id} never declares anything: deny rule ${deny.id} (line ${deny.loc.line}) matches every flow it would`, r.id);
  });
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
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
