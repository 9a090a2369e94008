/**
 * The report model: `AuditReport`, the one documented record every report format renders from
 * (Zeek's Info record; ripgrep's printers). Built per run from the judged flow and DNS records,
 * the summary, the rule packs and facts about the inputs; written as `audit.json` and read back
 * by `egress-audit report`.
 *
 * Pure and deterministic: no I/O, no clock (the generation time is passed in), and every list
 * has a stable sort order, so the same capture and rules give byte-identical output. Must never
 * change a record it is given, and never invent a time: every time comes from the capture.
 */
import { createHash } from 'node:crypto';
import { PolicyEngine } from '../policy/evaluate';
import type { CompiledRule, RulePack } from '../policy/rule-file';
import type { DnsRecord, FlowRecord, SummaryRecord } from './records';

/** Identifies the document format; bumped only when a field changes meaning (fields are only ever added). */
export const REPORT_SCHEMA = 'egress-audit/audit-report';
/** Version of the report schema written by this build. */
export const REPORT_SCHEMA_VERSION = 1;

/** Where a finding or rule points in a rules file (1-based). */
export interface RuleLocation {
  pack: string;
  /** Rule id, or null for the pack as a whole (its header: undeclared ports). */
  rule: string | null;
  file: string;
  line: number;
  column: number;
  /** The rule's `source:`: the vendor-document line it was written from (or `implied: <reason>`); absent for a pack as a whole. */
  source?: string;
}

/** A location as reports print it: `file:line (rule) — document: <source>`. */
export function locationText(l: RuleLocation): string {
  return `${l.file}:${l.line}${l.rule ? ` (${l.rule})` : ''}${l.source ? ` — document: ${l.source}` : ''}`;
}

/** A rule pack as the report states it. */
export interface ReportPack {
  name: string;
  file: string;
  /** SHA-256 of the rules file's bytes (null when the file could not be read). */
  sha256: string | null;
  schema_version: number;
  device: { name: string; vendor?: string; model?: string };
  document: { title: string; vendor: string; source: string; retrieved: string };
  /** Every switch with the value in force and whether `--set` chose it. */
  switches: { name: string; value: string; default: string; set: boolean }[];
  rules: number;
}

/** One capture input. */
export interface ReportInput {
  file: string;
  format: string;
  size: number | null;
  sha256: string | null;
  packets: number;
  link_types: string[];
  /** 'gzip' or 'zstd' when the file was compressed (size and sha256 are the compressed file's). */
  compression?: 'gzip' | 'zstd';
}

/** One rule with the traffic it covered. */
export interface ReportRule {
  pack: string;
  rule: string;
  kind: 'egress' | 'inbound' | 'deny';
  direction: string;
  proto: string;
  ports: string;
  hosts: string;
  app: string | null;
  description: string;
  source: string;
  implied: boolean;
  location: RuleLocation;
  /** False when a switch condition turns the rule off in this run. */
  active: boolean;
  flows: number;
  dns_queries: number;
  bytes: number;
  first_seen: number | null;
  last_seen: number | null;
  /** Undeclared findings (flows + DNS queries) judged against this rule's ports (e.g. name-not-documented). */
  undeclared: number;
}

/** An example flow (or DNS query) behind a finding. */
export interface FindingExample {
  kind: 'flow' | 'dns';
  id: number;
  device_ip: string;
  device_port: number;
  remote_ip: string;
  remote_port: number;
  ts: number;
  explanation: string;
}

/** One undeclared destination, aggregated over its flows and DNS queries. */
export interface Finding {
  /** Stable across runs: SHA-256 of device key, destination, port, proto and reason (hex, 32 chars). */
  fingerprint: string;
  direction: string;
  /** The name, or the address when none was learned. */
  destination: string;
  named: boolean;
  /** Remote addresses seen (sorted; at most MAX_FINDING_ADDRESSES). */
  addresses: string[];
  port: number;
  proto: string;
  app: string | null;
  /** The main reason code; `reasons` lists every code seen. */
  reason: string;
  reasons: string[];
  flows: number;
  dns_queries: number;
  bytes: number;
  first_seen: number;
  last_seen: number;
  judged_against: RuleLocation | null;
  example: FindingExample;
  controls: string[];
}

/** Why egress flows have no name, counted. */
export interface UnnamedReason {
  reason: string;
  flows: number;
  bytes: number;
}

/** A compliance control and what this run shows about it. */
export interface ControlMapping {
  id: string;
  framework: string;
  requirement: string;
  title: string;
  text: string;
  status: 'findings' | 'no-findings' | 'not-judged';
  findings: number;
  statement: string;
}

/** The whole report: `audit.json`. */
export interface AuditReport {
  schema: typeof REPORT_SCHEMA;
  schema_version: number;
  tool: { name: 'egress-audit'; version: string };
  /** The only time not taken from the capture (pinned by --reproducible). ISO 8601, UTC. */
  generated_at: string;
  reproducible: boolean;
  device: { key: string; name: string | null; vendor: string | null; model: string | null; addresses: string[]; address_source: string };
  packs: ReportPack[];
  inputs: ReportInput[];
  capture: {
    first_ts: number | null;
    last_ts: number | null;
    packets: number;
    bytes: number;
    flows: number;
    dns_queries: number;
    /** Live capture only: packets the kernel or interface dropped. */
    kernel_drops: { received: number; dropped: number; if_dropped: number } | null;
    anomalies: Record<string, number>;
    errors: { code: string; message: string; file?: string; offset?: number }[];
  };
  verdicts: {
    judged: boolean;
    declared: number;
    undeclared: number;
    flows: { declared: number; undeclared: number; unjudged: number };
    dns: { declared: number; undeclared: number; unjudged: number };
  };
  attribution: {
    egress_flows: number;
    named_flows: number;
    egress_bytes: number;
    named_bytes: number;
    /** named / egress, rounded to 4 decimals (1 when there is no egress traffic). */
    flow_share: number;
    byte_share: number;
    unnamed: UnnamedReason[];
  };
  findings: Finding[];
  unobserved_rules: RuleLocation[];
  rules: ReportRule[];
  controls: ControlMapping[];
  flows: FlowRecord[];
  dns: DnsRecord[];
}

/** Everything `buildAuditReport` needs; gathered by the caller (I/O lives there). */
export interface ReportInputs {
  flows: readonly FlowRecord[];
  dns: readonly DnsRecord[];
  summary: SummaryRecord;
  packs: readonly RulePack[];
  /** `--set` values as given. */
  switches?: Readonly<Record<string, string>>;
  /** SHA-256 of each pack file by pack name. */
  packHashes?: Readonly<Record<string, string | null>>;
  /** Size and SHA-256 of each input by file name as given. */
  inputFacts?: Readonly<Record<string, { size: number | null; sha256: string | null }>>;
  version: string;
  /** ISO time of generation; with `reproducible` the caller pins it (see `pinnedGenerationTime`). */
  generatedAt: string;
  reproducible?: boolean;
}

/** Most addresses listed on one finding (the rest are in flows.csv). */
export const MAX_FINDING_ADDRESSES = 16;

/** The two controls every finding is mapped to. */
export const CONTROLS: readonly Omit<ControlMapping, 'status' | 'findings' | 'statement'>[] = [
  {
    id: 'PCI-DSS-4.0-1.2.5',
    framework: 'PCI DSS v4.0',
    requirement: '1.2.5',
    title: 'Ports, protocols and services identified and approved',
    text: 'All services, protocols, and ports allowed are identified, approved, and have a defined business need.',
  },
  {
    id: 'NIST-800-53-SC-7(5)',
    framework: 'NIST SP 800-53 Rev. 5',
    requirement: 'SC-7(5)',
    title: 'Boundary protection: deny by default, allow by exception',
    text: 'Deny network communications traffic by default and allow network communications traffic by exception.',
  },
];

/**
 * The generation time `--reproducible` pins: SOURCE_DATE_EPOCH when given (reproducible-builds.org),
 * else the last packet's time, else the Unix epoch. Never the clock.
 */
export function pinnedGenerationTime(summary: SummaryRecord, sourceDateEpoch?: string): string {
  if (sourceDateEpoch !== undefined && /^\d+$/.test(sourceDateEpoch)) return new Date(Number(sourceDateEpoch) * 1000).toISOString();
  return new Date(Math.floor((summary.last_ts ?? 0)) * 1000).toISOString();
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const round4 = (x: number) => Math.round(x * 10000) / 10000;

/** Builds the report. Pure: same inputs, same object (and the same JSON text). */
export function buildAuditReport(x: ReportInputs): AuditReport {
  const flows = [...x.flows].sort((a, b) => a.first_ts - b.first_ts || a.id - b.id);
  const dns = [...x.dns].sort((a, b) => a.ts - b.ts || (a.flow_id ?? 0) - (b.flow_id ?? 0) || a.id - b.id || cmp(a.qname, b.qname) || cmp(a.client_ip, b.client_ip));
  const judged = x.packs.length > 0;
  const engine = judged ? new PolicyEngine(x.packs, x.switches ?? {}) : null;
  const active = new Set(engine?.activeRules ?? []);
  const device = deviceOf(x);
  const rules = rulesOf(x.packs, active);
  const ruleByKey = new Map(rules.map((r) => [`${r.pack}\u0000${r.rule}`, r]));
  const findings = findingsOf(flows, dns, x.packs, [...active], device.key, ruleByKey, engine);
  countRuleTraffic(flows, dns, ruleByKey);
  const s = x.summary;
  return {
    schema: REPORT_SCHEMA,
    schema_version: REPORT_SCHEMA_VERSION,
    tool: { name: 'egress-audit', version: x.version },
    generated_at: x.generatedAt,
    reproducible: x.reproducible === true,
    device,
    packs: x.packs.map((p) => ({
      name: p.name,
      file: p.file,
      sha256: x.packHashes?.[p.name] ?? null,
      schema_version: p.version,
      device: p.device,
      document: { title: p.document.title, vendor: p.document.vendor, source: p.document.source, retrieved: p.document.retrieved },
      switches: [...p.switches.values()].map((sw) => ({
        name: sw.name,
        value: engine?.switches.get(p.name)?.get(sw.name) ?? sw.default,
        default: sw.default,
        set: x.switches?.[sw.name] !== undefined,
      })),
      rules: p.rules.length,
    })),
    inputs: s.inputs.map((i) => ({
      file: i.file,
      format: i.format,
      size: x.inputFacts?.[i.file]?.size ?? i.bytes ?? null,
      sha256: x.inputFacts?.[i.file]?.sha256 ?? i.sha256 ?? null,
      packets: i.packets,
      link_types: i.link_types,
      ...(i.compression === undefined ? {} : { compression: i.compression }),
    })),
    capture: {
      first_ts: s.first_ts ?? null,
      last_ts: s.last_ts ?? null,
      packets: s.packets,
      bytes: s.bytes,
      flows: s.flows,
      dns_queries: s.dns_queries,
      kernel_drops: s.capture ? { received: s.capture.received, dropped: s.capture.dropped, if_dropped: s.capture.if_dropped } : null,
      anomalies: Object.fromEntries(Object.entries(s.anomalies).sort(([a], [b]) => cmp(a, b))),
      errors: (s.errors ?? []).map((e) => ({ code: e.code, message: e.message, ...(e.file !== undefined ? { file: e.file } : {}), ...(e.offset !== undefined ? { offset: e.offset } : {}) })),
    },
    verdicts: verdictsOf(flows, dns, judged),
    attribution: attributionOf(flows),
    findings,
    unobserved_rules: rules.filter((r) => r.active && r.kind !== 'deny' && r.flows === 0 && r.dns_queries === 0 && r.undeclared === 0).map((r) => r.location),
    rules,
    controls: controlsOf(findings, judged, rules),
    flows,
    dns,
  };
}

function deviceOf(x: ReportInputs): AuditReport['device'] {
  const p = x.packs[0];
  const addresses = [...x.summary.device_ips];
  const name = p?.device.name ?? null;
  return {
    key: name ?? ([...addresses].sort(cmp).join(',') || 'device'),
    name,
    vendor: p?.device.vendor ?? null,
    model: p?.device.model ?? null,
    addresses,
    address_source: x.summary.device_source ?? 'inferred',
  };
}

function hostsText(r: CompiledRule): string {
  if (r.anyHost) return 'any';
  return [...r.domainPatterns.map((d) => d.text), ...r.addresses.literals.map((a) => a.text)].join(', ');
}

function rulesOf(packs: readonly RulePack[], active: ReadonlySet<CompiledRule>): ReportRule[] {
  return packs.flatMap((p) =>
    p.rules.map((r) => ({
      pack: p.name,
      rule: r.id,
      kind: r.kind,
      direction: r.direction,
      proto: r.proto,
      ports: r.ports.toString(),
      hosts: hostsText(r),
      app: r.app,
      description: r.description,
      source: r.source,
      implied: r.implied,
      location: { pack: p.name, rule: r.id, file: r.loc.file, line: r.loc.line, column: r.loc.column },
      active: active.has(r),
      flows: 0,
      dns_queries: 0,
      bytes: 0,
      first_seen: null,
      last_seen: null,
      undeclared: 0,
    })),
  );
}

function countRuleTraffic(flows: readonly FlowRecord[], dns: readonly DnsRecord[], byKey: Map<string, ReportRule>): void {
  const touch = (r: ReportRule, ts0: number, ts1: number) => {
    r.first_seen = r.first_seen === null ? ts0 : Math.min(r.first_seen, ts0);
    r.last_seen = r.last_seen === null ? ts1 : Math.max(r.last_seen, ts1);
  };
  for (const f of flows) {
    const r = f.rule && f.pack ? byKey.get(`${f.pack}\u0000${f.rule}`) : undefined;
    if (!r) continue;
    r.flows++;
    r.bytes += f.bytes_out + f.bytes_in;
    touch(r, f.first_ts, f.last_ts);
  }
  for (const d of dns) {
    const r = d.rule && d.pack ? byKey.get(`${d.pack}\u0000${d.rule}`) : undefined;
    if (!r) continue;
    r.dns_queries++;
    touch(r, d.ts, d.ts);
  }
}

function verdictsOf(flows: readonly FlowRecord[], dns: readonly DnsRecord[], judged: boolean): AuditReport['verdicts'] {
  // "declared" with no rule is traffic no pack judges (local traffic without local rules, or another host's): not judged, not declared by the document.
  const notJudged = (r: { verdict?: string; rule?: string | null }) => r.verdict === undefined || (r.verdict === 'declared' && !r.rule);
  const tally = (recs: readonly { verdict?: string; rule?: string | null }[]) => ({
    declared: recs.filter((r) => r.verdict === 'declared' && !notJudged(r)).length,
    undeclared: recs.filter((r) => r.verdict === 'undeclared').length,
    unjudged: recs.filter(notJudged).length,
  });
  const f = tally(flows);
  const d = tally(dns);
  return { judged, declared: f.declared + d.declared, undeclared: f.undeclared + d.undeclared, flows: f, dns: d };
}

function attributionOf(flows: readonly FlowRecord[]): AuditReport['attribution'] {
  let egressFlows = 0, namedFlows = 0, egressBytes = 0, namedBytes = 0;
  const unnamed = new Map<string, UnnamedReason>();
  for (const f of flows) {
    if (f.direction !== 'egress') continue;
    const b = f.bytes_out + f.bytes_in;
    egressFlows++;
    egressBytes += b;
    if (f.name !== null) { namedFlows++; namedBytes += b; continue; }
    const reason = f.unnamed_reason ?? 'unknown';
    const u = unnamed.get(reason) ?? { reason, flows: 0, bytes: 0 };
    u.flows++;
    u.bytes += b;
    unnamed.set(reason, u);
  }
  return {
    egress_flows: egressFlows,
    named_flows: namedFlows,
    egress_bytes: egressBytes,
    named_bytes: namedBytes,
    flow_share: egressFlows === 0 ? 1 : round4(namedFlows / egressFlows),
    byte_share: egressBytes === 0 ? 1 : round4(namedBytes / egressBytes),
    unnamed: [...unnamed.values()].sort((a, b) => b.flows - a.flows || cmp(a.reason, b.reason)),
  };
}

/** Stable fingerprint of a finding (SARIF partialFingerprints, CSV, JUnit). */
export function findingFingerprint(deviceKey: string, destination: string, port: number, proto: string, reason: string): string {
  return createHash('sha256').update([deviceKey, destination, String(port), proto, reason].join('\u0000')).digest('hex').slice(0, 32);
}

/** The rule (or pack header) an undeclared record was judged against, re-derived from the compiled rules. */
function judgedAgainst(
  rec: { direction: string; proto: 'tcp' | 'udp'; port: number; rule?: string | null; pack?: string | null; reason: string },
  packs: readonly RulePack[],
  active: readonly CompiledRule[],
): RuleLocation | null {
  const at = (r: CompiledRule): RuleLocation => ({ pack: r.pack, rule: r.id, file: r.loc.file, line: r.loc.line, column: r.loc.column, source: sourceText(r) });
  if (packs.length === 0) return null;
  if (rec.rule && rec.pack) {
    const r = active.find((c) => c.pack === rec.pack && c.id === rec.rule);
    if (r) return at(r);
  }
  const dirOk = (r: CompiledRule) => r.kind !== 'deny' && (r.direction === rec.direction || rec.direction === 'local');
  const onPort = active.filter((r) => dirOk(r) && r.ports.has(rec.port));
  const same = onPort.find((r) => r.protos.has(rec.proto));
  const hit = rec.reason === 'transport-not-documented' ? onPort.find((r) => !r.protos.has(rec.proto)) ?? same : same ?? onPort[0];
  if (hit && rec.reason !== 'port-not-documented' && rec.reason !== 'inbound-not-documented') return at(hit);
  const p = packs[0];
  return { pack: p.name, rule: null, file: p.file, line: 1, column: 1 };
}

/**
 * The rule (or pack header) an undeclared record is judged against, as every format cites it:
 * the rule the verdict names, else the one the engine held the record against (the one its
 * explanation names), else a guess from the port. `finding` is the finding's direction, proto,
 * port (the service's) and main reason.
 */
export function findingLocation(
  rec: FlowRecord | DnsRecord,
  finding: { direction: string; proto: 'tcp' | 'udp'; port: number; reason: string },
  packs: readonly RulePack[],
  active: readonly CompiledRule[],
  engine: PolicyEngine | null,
): RuleLocation | null {
  const held = rec.rule ? null : engine?.heldAgainst(rec) ?? null;
  return judgedAgainst({ ...finding, rule: rec.rule ?? held?.id, pack: rec.pack ?? held?.pack }, packs, active);
}

function findingsOf(
  flows: readonly FlowRecord[],
  dns: readonly DnsRecord[],
  packs: readonly RulePack[],
  active: readonly CompiledRule[],
  deviceKey: string,
  ruleByKey: Map<string, ReportRule>,
  engine: PolicyEngine | null,
): Finding[] {
  const byKey = new Map<string, Finding & { addrSet: Set<string>; reasonSet: Set<string> }>();
  const add = (
    key: { direction: string; destination: string; named: boolean; port: number; proto: 'tcp' | 'udp'; app: string | null; reasons: string[] },
    rec: FlowRecord | DnsRecord,
    address: string,
    bytes: number,
    ts0: number,
    ts1: number,
    example: FindingExample,
    isFlow: boolean,
  ) => {
    const reason = key.reasons[0] ?? 'undeclared';
    const k = [key.direction, key.destination, key.port, key.proto, reason].join('\u0000');
    let f = byKey.get(k);
    if (!f) {
      const against = findingLocation(rec, { direction: key.direction, proto: key.proto, port: key.port, reason }, packs, active, engine);
      f = {
        fingerprint: findingFingerprint(deviceKey, key.destination, key.port, key.proto, reason),
        direction: key.direction, destination: key.destination, named: key.named, addresses: [], port: key.port, proto: key.proto, app: key.app,
        reason, reasons: [], flows: 0, dns_queries: 0, bytes: 0, first_seen: ts0, last_seen: ts1, judged_against: against, example,
        controls: CONTROLS.map((c) => c.id), addrSet: new Set(), reasonSet: new Set(),
      };
      byKey.set(k, f);
    }
    if (isFlow) f.flows++; else f.dns_queries++;
    f.bytes += bytes;
    f.addrSet.add(address);
    for (const r of key.reasons) f.reasonSet.add(r);
    if (f.app === null && key.app !== null) f.app = key.app;
    // The example is the earliest flow (a flow beats a DNS query at the same destination).
    if (ts0 < f.first_seen || (isFlow && f.example.kind === 'dns')) f.example = example;
    f.first_seen = Math.min(f.first_seen, ts0);
    f.last_seen = Math.max(f.last_seen, ts1);
  };
  for (const r of flows) {
    if (r.verdict !== 'undeclared') continue;
    const port = r.direction === 'inbound' ? r.device_port : r.remote_port;
    add(
      { direction: r.direction, destination: r.name ?? r.remote_ip, named: r.name !== null, port, proto: r.proto, app: r.app, reasons: r.reasons ?? [] },
      r, r.remote_ip, r.bytes_out + r.bytes_in, r.first_ts, r.last_ts,
      { kind: 'flow', id: r.id, device_ip: r.device_ip, device_port: r.device_port, remote_ip: r.remote_ip, remote_port: r.remote_port, ts: r.first_ts, explanation: r.explanation ?? '' },
      true,
    );
  }
  const flowDir = new Map(flows.map((f) => [f.id, f.direction]));
  for (const d of dns) {
    if (d.verdict !== 'undeclared') continue;
    const direction = (d.flow_id !== undefined ? flowDir.get(d.flow_id) : undefined) ?? 'egress';
    add(
      { direction, destination: d.qname, named: true, port: d.server_port, proto: d.proto, app: d.app ?? 'dns', reasons: d.reasons ?? [] },
      d, d.server_ip, 0, d.ts, d.ts,
      { kind: 'dns', id: d.flow_id ?? d.id, device_ip: d.client_ip, device_port: d.client_port, remote_ip: d.server_ip, remote_port: d.server_port, ts: d.ts, explanation: d.explanation ?? '' },
      false,
    );
  }
  const out: Finding[] = [];
  for (const f of byKey.values()) {
    const { addrSet, reasonSet, ...rest } = f;
    rest.addresses = [...addrSet].sort(cmp).slice(0, MAX_FINDING_ADDRESSES);
    rest.reasons = [rest.reason, ...[...reasonSet].filter((r) => r !== rest.reason).sort(cmp)];
    const j = rest.judged_against;
    if (j?.rule) {
      const rr = ruleByKey.get(`${j.pack}\u0000${j.rule}`);
      if (rr && rr.kind !== 'deny') rr.undeclared += rest.flows + rest.dns_queries;
    }
    out.push(rest);
  }
  return out.sort((a, b) => b.bytes - a.bytes || a.first_seen - b.first_seen || cmp(a.destination, b.destination) || a.port - b.port || cmp(a.proto, b.proto) || cmp(a.reason, b.reason));
}

function controlsOf(findings: readonly Finding[], judged: boolean, rules: readonly ReportRule[]): ControlMapping[] {
  const unobserved = rules.filter((r) => r.active && r.kind !== 'deny' && r.flows === 0 && r.dns_queries === 0 && r.undeclared === 0).length;
  return CONTROLS.map((c) => {
    const n = findings.length;
    const status: ControlMapping['status'] = !judged ? 'not-judged' : n > 0 ? 'findings' : 'no-findings';
    let statement: string;
    if (!judged) statement = 'No rule pack was given, so traffic was not compared with any documentation.';
    else if (c.requirement === '1.2.5') {
      statement = n > 0
        ? `${n} destination${n === 1 ? '' : 's'} used a port, protocol or service the documentation does not identify.`
        : 'Every port, protocol and service observed is identified in the documentation.';
      if (unobserved > 0) statement += ` ${unobserved} documented rule${unobserved === 1 ? ' was' : 's were'} never observed; confirm each still has a business need.`;
    } else {
      statement = n > 0
        ? `${n} undeclared destination${n === 1 ? ' was' : 's were'} reachable: the network allowed traffic outside the documented exceptions.`
        : 'All observed traffic falls within the documented exceptions.';
    }
    return { ...c, status, findings: judged ? n : 0, statement };
  });
}

/** Parses audit.json text back into a report; throws an Error naming what is wrong. */
export function parseAuditReport(text: string): AuditReport {
  const data = JSON.parse(text) as Partial<AuditReport>;
  if (typeof data !== 'object' || data === null || data.schema !== REPORT_SCHEMA) {
    throw new Error(`not an egress-audit report (expected "schema": "${REPORT_SCHEMA}")`);
  }
  if (typeof data.schema_version !== 'number' || data.schema_version > REPORT_SCHEMA_VERSION) {
    throw new Error(`report schema version ${String(data.schema_version)} is newer than this egress-audit reads (${REPORT_SCHEMA_VERSION})`);
  }
  for (const k of ['findings', 'rules', 'flows', 'dns', 'packs', 'inputs', 'controls', 'unobserved_rules'] as const) {
    if (!Array.isArray(data[k])) throw new Error(`report field "${k}" is missing or not a list`);
  }
  return data as AuditReport;
}

/** The report as `audit.json` text (2-space indent, trailing newline). */
export function renderAuditJson(report: AuditReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}

/** The document line a rule quotes (`source:`), or its `implied:` reason. */
function sourceText(r: CompiledRule): string {
  return r.implied ? `implied: ${r.source}` : r.source;
}
