/**
 * Learn mode: proposes a rule pack from observed traffic, and, given a pack, the drift between
 * what it documents and what the device did. The proposal is a starting point for a human to
 * check against the vendor's documentation, never an allowlist to adopt blindly.
 *
 * Must never propose a pattern wider than the names seen justify: `*.parent` only when at
 * least two different names were seen directly under `parent`, never over a public suffix
 * (`*.com`, `*.github.io`), and never more than one level up. Every host written is checked
 * with the loader's own parsers, so the YAML loads with `loadPackText`.
 */
import { stringify } from 'yaml';
import { looksLikeAddress, parseCidrLiteral } from './address-set';
import { normalizeDomainName, parseDomainPattern } from './domain-matcher';
import { isPublicSuffix } from './public-suffixes';
import { ENGINE_APPS } from './apps';
import type { DnsRecord, FlowRecord } from '../report/records';
import type { AuditReport } from '../report/model';

/** Distinct names under one parent that justify `*.parent`. */
export const MIN_NAMES_FOR_WILDCARD = 2;

/** One proposed rule. */
export interface LearnedRule {
  id: string;
  kind: 'egress' | 'inbound';
  proto: 'tcp' | 'udp';
  ports: number[];
  app: string | null;
  hosts: string[] | 'any';
  flows: number;
  bytes: number;
  first_seen: number;
  /** Names seen that a wildcard in `hosts` stands for. */
  collapsed: Record<string, string[]>;
}

/** The whole proposal. */
export interface LearnedPack {
  rules: LearnedRule[];
  /** Names that cannot be written as a host pattern (shown in a comment, never as a rule). */
  rejected: string[];
  /** Local-network traffic (multicast, broadcast, link-local), listed for review only. */
  local: { proto: string; port: number; app: string | null; flows: number }[];
  /**
   * Addresses reached without a name whose TLS server presented a certificate (server_cert_names):
   * listed for review, never made hosts — the name to ask the vendor about, not one the device used.
   */
  certificates: { address: string; names: string[] }[];
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Collapses names into `*.parent` patterns where safe (see the module header). Returns the
 * host list (sorted) and, for each wildcard, the names it stands for.
 */
export function collapseNames(names: Iterable<string>): { hosts: string[]; collapsed: Record<string, string[]> } {
  const set = [...new Set(names)].sort(cmp);
  const byParent = new Map<string, string[]>();
  for (const n of set) {
    const dot = n.indexOf('.');
    if (dot < 0) continue;
    const parent = n.slice(dot + 1);
    if (!parent.includes('.') || isPublicSuffix(parent)) continue;
    byParent.set(parent, [...(byParent.get(parent) ?? []), n]);
  }
  const hosts = new Set<string>();
  const collapsed: Record<string, string[]> = {};
  const covered = new Set<string>();
  for (const [parent, kids] of byParent) {
    if (kids.length < MIN_NAMES_FOR_WILDCARD) continue;
    const w = `*.${parent}`;
    hosts.add(w);
    collapsed[w] = kids;
    for (const k of kids) covered.add(k);
  }
  for (const n of set) if (!covered.has(n)) hosts.add(n);
  return { hosts: [...hosts].sort(cmp), collapsed };
}

/** A capture string as a host the loader accepts, or null. */
function asHost(s: string): string | null {
  if (looksLikeAddress(s)) return typeof parseCidrLiteral(s) === 'string' ? null : s;
  const n = normalizeDomainName(s);
  if (n === null || n.startsWith('*') || typeof parseDomainPattern(n) === 'string') return null;
  return n;
}

/** Name sources a flow's own bytes gave (the names a rule's hosts are checked against first). */
const STRONG_SOURCES: ReadonlySet<string> = new Set(['sni', 'quic-sni', 'http-host', 'socks-host']);

function ruleApp(app: string | null): string | null {
  return app !== null && ENGINE_APPS.has(app) ? app : null;
}

/** Proposes rules from flow records (and DNS records: every name asked for is a DNS host). */
export function learnRules(flows: readonly FlowRecord[], dns: readonly DnsRecord[] = []): LearnedPack {
  const rejected = new Set<string>();
  // destination → (proto/port → {app, flows, bytes, first})
  type Use = { proto: 'tcp' | 'udp'; port: number; app: string | null; flows: number; bytes: number; first: number };
  const egress = new Map<string, Map<string, Use>>();
  const inbound = new Map<string, Use>();
  const local = new Map<string, { proto: string; port: number; app: string | null; flows: number }>();
  const certificates = new Map<string, string[]>();
  const note = (dest: string, proto: 'tcp' | 'udp', port: number, app: string | null, bytes: number, first: number, countFlow: boolean) => {
    const h = asHost(dest);
    if (h === null) { rejected.add(dest); return; }
    const uses = egress.get(h) ?? new Map<string, Use>();
    // One use per (port, app): plain HTTP and TLS to one host on 443 are two rules, or the
    // learned pack would declare only the first and fail the other as protocol-mismatch.
    const ra = ruleApp(app);
    const k = `${proto}/${port}/${ra ?? ''}`;
    const u = uses.get(k) ?? { proto, port, app: ra, flows: 0, bytes: 0, first };
    if (countFlow) u.flows++;
    u.bytes += bytes;
    u.first = Math.min(u.first, first);
    uses.set(k, u);
    egress.set(h, uses);
  };
  for (const f of flows) {
    const bytes = f.bytes_out + f.bytes_in;
    if (f.direction === 'inbound') {
      const ra = ruleApp(f.app);
      const k = `${f.proto}/${f.device_port}/${ra ?? ''}`;
      const u = inbound.get(k) ?? { proto: f.proto, port: f.device_port, app: ra, flows: 0, bytes: 0, first: f.first_ts };
      u.flows++;
      u.bytes += bytes;
      u.first = Math.min(u.first, f.first_ts);
      inbound.set(k, u);
    } else if (f.direction === 'local') {
      const k = `${f.proto}/${f.remote_port}/${f.app}`;
      const l = local.get(k) ?? { proto: f.proto, port: f.remote_port, app: f.app, flows: 0 };
      l.flows++;
      local.set(k, l);
    } else {
      if (f.name === null && f.server_cert_names && f.server_cert_names.length > 0) {
        const seen = certificates.get(f.remote_ip) ?? [];
        for (const n of f.server_cert_names) if (!seen.includes(n) && seen.length < 16) seen.push(n);
        certificates.set(f.remote_ip, seen);
      }
      // Every name the flow's own content gave (a keep-alive connection's Hosts, a proxy's CONNECT
      // targets), else its DNS-answer name or its address.
      const own = f.names.filter((c) => STRONG_SOURCES.has(c.source) && !looksLikeAddress(c.name)).map((c) => c.name);
      const names = f.dns_names && f.dns_names.length > 0 ? f.dns_names : own.length > 0 ? [...new Set(own)] : [f.name ?? f.remote_ip];
      names.forEach((n, i) => note(n, f.proto, f.remote_port, f.app, i === 0 ? bytes : 0, f.first_ts, i === 0));
    }
  }
  for (const d of dns) if (!d.response_only && (d.app ?? 'dns') === 'dns') note(d.qname, d.proto, d.server_port, 'dns', 0, d.ts, false);

  // A contentless use (a refused connection, no payload) beside one with an app on the same
  // port adds nothing: rules take a flow without payload whatever their app.
  for (const uses of [...egress.values(), inbound]) {
    for (const [k, u] of uses) {
      if (u.app !== null) continue;
      const other = [...uses.values()].find((x) => x !== u && x.app !== null && x.proto === u.proto && x.port === u.port);
      if (other === undefined) continue;
      other.flows += u.flows;
      other.bytes += u.bytes;
      other.first = Math.min(other.first, u.first);
      uses.delete(k);
    }
  }

  // Group destinations by the exact set of (proto, port, app) they used: one rule per group.
  const groups = new Map<string, { proto: 'tcp' | 'udp'; ports: number[]; app: string | null; dests: string[]; flows: number; bytes: number; first: number }>();
  for (const [dest, uses] of egress) {
    const byProtoApp = new Map<string, Use[]>();
    for (const u of uses.values()) {
      const k = `${u.proto}|${u.app ?? ''}`;
      byProtoApp.set(k, [...(byProtoApp.get(k) ?? []), u]);
    }
    for (const [k, us] of byProtoApp) {
      const ports = us.map((u) => u.port).sort((a, b) => a - b);
      const gk = `${k}|${ports.join(',')}`;
      const g = groups.get(gk) ?? { proto: us[0].proto, ports, app: us[0].app, dests: [], flows: 0, bytes: 0, first: Infinity };
      g.dests.push(dest);
      for (const u of us) { g.flows += u.flows; g.bytes += u.bytes; g.first = Math.min(g.first, u.first); }
      groups.set(gk, g);
    }
  }
  const ids = new Set<string>();
  const idFor = (kind: string, proto: string, app: string | null, ports: number[]) => {
    const base = `${kind === 'inbound' ? 'in' : 'out'}-${app ?? proto}-${ports.slice(0, 4).join('-')}${ports.length > 4 ? '-more' : ''}`.slice(0, 60);
    let id = base;
    for (let i = 2; ids.has(id); i++) id = `${base}-${i}`;
    ids.add(id);
    return id;
  };
  const rules: LearnedRule[] = [];
  const sortedGroups = [...groups.values()].sort((a, b) => a.ports[0] - b.ports[0] || cmp(a.proto, b.proto) || cmp(a.app ?? '', b.app ?? '') || a.ports.join(',').localeCompare(b.ports.join(',')));
  for (const g of sortedGroups) {
    const names = g.dests.filter((d) => !looksLikeAddress(d));
    const addrs = g.dests.filter((d) => looksLikeAddress(d)).sort(cmp);
    const { hosts, collapsed } = collapseNames(names);
    rules.push({
      id: idFor('egress', g.proto, g.app, g.ports), kind: 'egress', proto: g.proto, ports: g.ports, app: g.app,
      hosts: [...hosts, ...addrs], flows: g.flows, bytes: g.bytes, first_seen: g.first, collapsed,
    });
  }
  for (const u of [...inbound.values()].sort((a, b) => a.port - b.port || cmp(a.proto, b.proto) || cmp(a.app ?? '', b.app ?? ''))) {
    rules.push({ id: idFor('inbound', u.proto, u.app, [u.port]), kind: 'inbound', proto: u.proto, ports: [u.port], app: u.app, hosts: 'any', flows: u.flows, bytes: u.bytes, first_seen: u.first, collapsed: {} });
  }
  return {
    rules,
    rejected: [...rejected].sort(cmp),
    local: [...local.values()].sort((a, b) => a.port - b.port || cmp(a.proto, b.proto)),
    certificates: [...certificates].map(([address, names]) => ({ address, names })).sort((a, b) => cmp(a.address, b.address)),
  };
}

/** What `learn --rules PACK` reports: the documentation against the traffic. */
export interface Drift {
  /** Destinations used but not declared (the report's findings). */
  undeclared: { destination: string; proto: string; port: number; reason: string; flows: number; bytes: number }[];
  /** Rules declared but never observed. */
  unused: { pack: string; rule: string; file: string; line: number }[];
  /** Rules whose documented ports differ from the ports their traffic used. */
  ports: { pack: string; rule: string; file: string; line: number; unused_ports: number[]; undeclared_ports: { destination: string; proto: string; port: number }[] }[];
}

/** Drift of a judged run (its report model) against its packs. */
export function driftOf(report: AuditReport): Drift {
  const undeclared = report.findings.map((f) => ({ destination: f.destination, proto: f.proto, port: f.port, reason: f.reason, flows: f.flows + f.dns_queries, bytes: f.bytes }));
  const unused = report.unobserved_rules.map((u) => ({ pack: u.pack, rule: u.rule ?? '', file: u.file, line: u.line }));
  // Ports each rule's traffic used, from the declared flows.
  const used = new Map<string, Set<number>>();
  for (const f of report.flows) {
    if (f.verdict !== 'declared' || !f.rule || !f.pack) continue;
    const k = `${f.pack}\u0000${f.rule}`;
    const s = used.get(k) ?? new Set<number>();
    s.add(f.direction === 'inbound' ? f.device_port : f.remote_port);
    used.set(k, s);
  }
  // Names a rule declares on some port, seen on a port no rule documents.
  const ruleNames = new Map<string, Set<string>>();
  for (const f of report.flows) {
    if (f.verdict === 'declared' && f.rule && f.pack && f.name) {
      const k = `${f.pack}\u0000${f.rule}`;
      ruleNames.set(k, (ruleNames.get(k) ?? new Set()).add(f.name));
    }
  }
  const ports: Drift['ports'] = [];
  for (const r of report.rules) {
    if (!r.active || r.kind === 'deny') continue;
    const k = `${r.pack}\u0000${r.rule}`;
    const seen = used.get(k);
    const documented = expandPorts(r.ports);
    const unusedPorts = seen && documented ? documented.filter((p) => !seen.has(p)) : [];
    const names = ruleNames.get(k) ?? new Set<string>();
    const undeclaredPorts = report.findings
      .filter((f) => (f.reason === 'port-not-documented' || f.reason === 'transport-not-documented') && names.has(f.destination))
      .map((f) => ({ destination: f.destination, proto: f.proto, port: f.port }));
    if (unusedPorts.length > 0 || undeclaredPorts.length > 0) {
      ports.push({ pack: r.pack, rule: r.rule, file: r.location.file, line: r.location.line, unused_ports: unusedPorts, undeclared_ports: undeclaredPorts });
    }
  }
  return { undeclared, unused, ports };
}

/** "80, 443, 8000-8002" → ports, or null when a range is too wide to list (a port drift of 1000 ports says nothing). */
function expandPorts(text: string): number[] | null {
  const out: number[] = [];
  for (const part of text.split(/[,\s]+/).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return null;
    const a = Number(m[1]), b = m[2] ? Number(m[2]) : a;
    if (b - a > 64) return null;
    for (let p = a; p <= b; p++) out.push(p);
  }
  return out;
}

/** A YAML comment line: one line, control characters made visible. */
function comment(s: string): string {
  return `# ${JSON.stringify(s).slice(1, -1)}`;
}

/** Options for the proposal's header fields. */
export interface ProposalMeta {
  device: string;
  captures: string[];
  /** YYYY-MM-DD of the capture (not of today: the proposal is reproducible). */
  retrieved: string;
}

/** The proposal as a version-1 rule file (loads with loadPackText), drift as a comment block when given. */
export function renderLearnedYaml(p: LearnedPack, meta: ProposalMeta, drift?: Drift): string {
  const head: string[] = [
    '# PROPOSED by `egress-audit learn` from observed traffic: review every rule against the vendor\'s',
    '# documentation before using it. Traffic is not documentation: a rule here only says the device did this.',
    comment(`captures: ${meta.captures.join(', ')}`),
    `# Wildcards: *.parent only where at least ${MIN_NAMES_FOR_WILDCARD} names were seen under parent, never over a public suffix.`,
  ];
  for (const r of p.rules) for (const [w, names] of Object.entries(r.collapsed)) head.push(comment(`${r.id}: ${w} stands for ${names.join(', ')}`));
  for (const n of p.rejected) head.push(comment(`not a valid host, left out: ${n}`));
  for (const l of p.local) head.push(comment(`local network (not proposed): ${l.proto}/${l.port}${l.app ? ` ${l.app}` : ''}, ${l.flows} flows`));
  for (const c of p.certificates) head.push(comment(`${c.address} was reached without a name; its TLS server presented a certificate for ${c.names.join(', ')} (ask the vendor which name its documentation gives)`));
  if (drift) head.push('#', ...renderDriftText(drift).trimEnd().split('\n').map((l) => comment(l)));
  const rule = (r: LearnedRule) => ({
    id: r.id,
    description: `${r.kind === 'inbound' ? 'Inbound listener' : 'Observed'}: ${r.app ?? r.proto} on ${r.proto} ${r.ports.join(', ')} (${r.flows} flows, ${r.bytes} bytes)`,
    source: { implied: `observed in ${meta.captures.join(', ')}; not from the vendor's documentation` },
    proto: r.proto,
    ports: r.ports,
    ...(r.app ? { app: r.app } : {}),
    hosts: r.hosts,
  });
  const doc: Record<string, unknown> = {
    version: 1,
    device: { name: meta.device },
    document: { title: 'Proposed from observed traffic (egress-audit learn)', vendor: 'unknown', source: meta.captures.join(', ') || 'capture', retrieved: meta.retrieved },
  };
  const egress = p.rules.filter((r) => r.kind === 'egress').map(rule);
  const inbound = p.rules.filter((r) => r.kind === 'inbound').map(rule);
  if (egress.length > 0) doc.egress = egress;
  if (inbound.length > 0) doc.inbound = inbound;
  return head.join('\n') + '\n' + stringify(doc, { lineWidth: 0 });
}

/** Drift as plain text lines. */
export function renderDriftText(d: Drift): string {
  const o: string[] = [];
  o.push(`used but undeclared (${d.undeclared.length}):`);
  for (const u of d.undeclared) o.push(`  ${u.destination} ${u.proto}/${u.port} ${u.reason}: ${u.flows} flows or queries, ${u.bytes} bytes`);
  o.push(`declared but unused (${d.unused.length}):`);
  for (const u of d.unused) o.push(`  ${u.pack}/${u.rule} (${u.file}:${u.line})`);
  o.push(`port drift (${d.ports.length}):`);
  for (const p of d.ports) {
    const parts: string[] = [];
    if (p.unused_ports.length > 0) parts.push(`documented but unused ports ${p.unused_ports.join(', ')}`);
    if (p.undeclared_ports.length > 0) parts.push(`its hosts also used ${p.undeclared_ports.map((x) => `${x.destination} ${x.proto}/${x.port}`).join(', ')}`);
    o.push(`  ${p.pack}/${p.rule} (${p.file}:${p.line}): ${parts.join('; ')}`);
  }
  return o.join('\n') + '\n';
}
