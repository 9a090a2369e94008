/**
 * The terminal table: top destinations by bytes with their names and how each was learned,
 * then a summary of the run. Rendering only: records in, text out.
 *
 * Every string that came from the network is made safe for a terminal (control characters,
 * escape sequences and bidi overrides shown as visible escapes); cli-table3 is given empty
 * styles so no colour codes reach a pipe.
 */
import Table from 'cli-table3';
import type { DnsRecord, FlowRecord, SummaryRecord } from './records';

/** Destinations shown in the table. */
export const TABLE_TOP_N = 25;
/** Longest name shown in a cell (full names are in NDJSON). */
const MAX_CELL = 80;

/** One destination: (direction, name or address, port, transport). */
export interface DestinationRow {
  direction: string;
  destination: string;
  named: boolean;
  port: number;
  proto: string;
  flows: number;
  bytes: number;
  sources: Set<string>;
  firstTs: number;
  verdict?: string;
  reasons: Set<string>;
}

/** Aggregates flows into destination rows, bounded by `maxRows` distinct destinations. */
export class DestinationAggregator {
  readonly rows = new Map<string, DestinationRow>();
  /** Flows that did not fit once `maxRows` destinations were known. */
  overflowFlows = 0;

  constructor(private readonly maxRows = 100_000) {}

  /** Adds one flow. */
  add(f: FlowRecord): void {
    const destination = f.name ?? f.remote_ip;
    const port = servicePort(f);
    const key = `${f.direction}|${destination}|${port}|${f.proto}`;
    let row = this.rows.get(key);
    if (!row) {
      if (this.rows.size >= this.maxRows) { this.overflowFlows++; return; }
      row = {
        direction: f.direction, destination, named: f.name !== null, port, proto: f.proto,
        flows: 0, bytes: 0, sources: new Set(), firstTs: f.first_ts, reasons: new Set(),
      };
      this.rows.set(key, row);
    }
    row.flows++;
    row.bytes += f.bytes_out + f.bytes_in;
    if (f.name_source) row.sources.add(f.name_source);
    else row.sources.add(f.unnamed_reason ? `none (${f.unnamed_reason})` : 'none');
    if (f.first_ts < row.firstTs) row.firstTs = f.first_ts;
    if (f.verdict === 'undeclared') row.verdict = 'undeclared';
    else if (!row.verdict && f.verdict) row.verdict = f.verdict;
    for (const r of f.reasons ?? []) row.reasons.add(r);
  }

  /** Rows by bytes, largest first. */
  top(n: number): DestinationRow[] {
    return [...this.rows.values()].sort((a, b) => b.bytes - a.bytes || a.destination.localeCompare(b.destination)).slice(0, n);
  }
}

/** Unicode format characters and line/paragraph separators: shown as escapes, never printed raw. */
const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}]/u;
/** A backslash that does not start a \DDD escape. */
const BACKSLASH_NOT_DDD = /\\(?!\d{3})/g;

/** Makes a capture-derived string safe to print on a terminal. */
export function terminalSafe(s: string, max = MAX_CELL): string {
  let out = '';
  // A literal backslash is doubled, so a name cannot spell one of our escapes ("\\x1b") and look
  // like it; the extractors' own \DDD escapes (RFC 4343) are the one form left as they are.
  for (const ch of s.includes('\\') ? s.replace(BACKSLASH_NOT_DDD, '\\\\') : s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0)) out += `\\x${c.toString(16).padStart(2, '0')}`;
    // Invisible format characters (\p{Cf}: bidi controls, zero-width U+200B-200D, the BOM U+FEFF,
    // soft hyphen, tags) and the line/paragraph separators would hide or reorder a name.
    else if (INVISIBLE.test(ch)) out += c > 0xffff ? `\\u{${c.toString(16)}}` : `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
    if (out.length > max) return out.slice(0, max - 1) + '…';
  }
  return out;
}

/** Human-readable byte count. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  for (;;) {
    // Decide on the rounded text: 1023.9 KiB prints as "1.0 MiB", not "1024 KiB"; 9.97 as "10", not "10.0".
    const text = v < 9.95 ? v.toFixed(1) : v.toFixed(0);
    if (Number(text) < 1024 || i === units.length - 1) return `${text} ${units[i]}`;
    v /= 1024;
    i++;
  }
}

function newTable(head: string[]): Table.Table {
  return new Table({ head, style: { head: [], border: [] } });
}

/** Renders the destination table. */
export function renderDestinationTable(agg: DestinationAggregator, withVerdicts: boolean, n = TABLE_TOP_N): string {
  const head = ['direction', 'destination', 'port', 'proto', 'flows', 'bytes', 'name learned from'];
  if (withVerdicts) head.push('verdict');
  const t = newTable(head);
  for (const r of agg.top(n)) {
    const row = [r.direction, terminalSafe(r.destination), String(r.port), r.proto, String(r.flows), formatBytes(r.bytes), [...r.sources].join(', ')];
    if (withVerdicts) row.push(r.verdict === 'undeclared' ? `UNDECLARED (${[...r.reasons].join(', ')})` : (r.verdict ?? ''));
    t.push(row);
  }
  const more = agg.rows.size > n ? `\n(${agg.rows.size - n} more destinations; use --format ndjson for all)\n` : '\n';
  return `Top destinations by bytes\n${t.toString()}${more}`;
}

/** Renders the run summary as a few lines. */
export function renderSummaryText(s: SummaryRecord): string {
  const lines: string[] = [];
  lines.push(`packets ${s.packets}  bytes ${formatBytes(s.bytes)}  flows ${s.flows}  dns queries ${s.dns_queries}`);
  const devices = s.device_ips.slice(0, 8).map((d) => terminalSafe(d)).join(', ') + (s.device_ips.length > 8 ? `, … (${s.device_ips.length} in all)` : '');
  lines.push(`device addresses (${s.device_source === 'flag' ? 'from --device' : s.device_source === 'interface' ? 'from the capture interface' : 'inferred per flow; pass --device to fix them'}): ${devices || 'none'}`);
  if (s.verdicts) lines.push(`verdicts: ${s.verdicts.declared} declared, ${s.verdicts.undeclared} undeclared${s.verdicts.not_judged ? `, ${s.verdicts.not_judged} not judged (local traffic no pack has rules for, or not the --device's)` : ''}`);
  const an = Object.entries(s.anomalies);
  if (an.length > 0) lines.push(`anomalies: ${an.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  if (s.capture && s.capture.dropped + s.capture.if_dropped > 0) {
    lines.push(`WARNING: ${s.capture.dropped + s.capture.if_dropped} packets were dropped by the capture; this audit is incomplete`);
  }
  for (const e of s.errors ?? []) lines.push(`error: ${terminalSafe(e.message, 1000)}`); // messages name files, and file names can hold anything
  return lines.join('\n') + '\n';
}

/** Traffic per rule: flows and bytes it declared (or forbade), first and last seen. */
interface RuleRow { rule: string; pack: string; flows: number; dns: number; bytes: number; first: number; last: number }

/** One undeclared destination: (name or address, port, transport, main reason). */
interface FindingRow { destination: string; port: number; proto: string; reason: string; flows: number; queries: number; bytes: number; first: number }

/** Aggregates judged records for the audit tables (issue 3: per rule, then every undeclared destination). */
export class PolicyAggregator {
  readonly rules = new Map<string, RuleRow>();
  readonly findings = new Map<string, FindingRow>();

  constructor(private readonly maxRows = 100_000) {}

  /** Adds a judged flow. */
  addFlow(f: FlowRecord): void {
    const bytes = f.bytes_out + f.bytes_in;
    this.note(f.rule ?? null, f.pack ?? null, f.first_ts, f.last_ts, bytes, 'flow');
    if (f.verdict === 'undeclared') this.finding(f.name ?? f.remote_ip, servicePort(f), f.proto, f.reasons?.[0] ?? 'undeclared', f.first_ts, bytes, 'flow');
  }

  /** Adds a judged DNS query. */
  addDns(d: DnsRecord): void {
    this.note(d.rule ?? null, d.pack ?? null, d.ts, d.ts, 0, 'dns');
    if (d.verdict === 'undeclared') this.finding(d.qname || '(empty)', d.server_port, d.proto, d.reasons?.[0] ?? 'undeclared', d.ts, 0, 'dns');
  }

  private note(rule: string | null, pack: string | null, first: number, last: number, bytes: number, kind: 'flow' | 'dns'): void {
    if (!rule) return;
    const key = `${pack ?? ''}\u0000${rule}`;
    let r = this.rules.get(key);
    if (!r) {
      if (this.rules.size >= this.maxRows) return;
      r = { rule, pack: pack ?? '', flows: 0, dns: 0, bytes: 0, first, last };
      this.rules.set(key, r);
    }
    if (kind === 'flow') r.flows++; else r.dns++;
    r.bytes += bytes;
    r.first = Math.min(r.first, first);
    r.last = Math.max(r.last, last);
  }

  private finding(destination: string, port: number, proto: string, reason: string, first: number, bytes: number, kind: 'flow' | 'dns'): void {
    const key = `${destination}\u0000${port}\u0000${proto}\u0000${reason}`;
    let r = this.findings.get(key);
    if (!r) {
      if (this.findings.size >= this.maxRows) return;
      r = { destination, port, proto, reason, flows: 0, queries: 0, bytes: 0, first };
      this.findings.set(key, r);
    }
    if (kind === 'flow') r.flows++; else r.queries++;
    r.bytes += bytes;
    r.first = Math.min(r.first, first);
  }
}

/** ISO time (UTC, seconds) of an epoch-seconds timestamp. */
function isoTime(ts: number): string {
  return new Date(Math.round(ts * 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Renders the audit tables: per rule, then every undeclared destination (first seen first). */
export function renderPolicyTables(agg: PolicyAggregator, ruleIds: readonly { pack: string; id: string }[]): string {
  const rt = newTable(['pack', 'rule', 'flows', 'dns queries', 'bytes', 'first seen', 'last seen']);
  const seen = new Set<string>();
  for (const r of [...agg.rules.values()].sort((a, b) => a.pack.localeCompare(b.pack) || a.rule.localeCompare(b.rule))) {
    seen.add(`${r.pack}\u0000${r.rule}`);
    rt.push([r.pack, r.rule, String(r.flows), String(r.dns), formatBytes(r.bytes), isoTime(r.first), isoTime(r.last)]);
  }
  const unused = ruleIds.filter((r) => !seen.has(`${r.pack}\u0000${r.id}`));
  for (const r of unused) rt.push([r.pack, r.id, '0', '0', '0 B', '-', '-']);
  let out = `Traffic per rule\n${rt.toString()}\n`;
  if (unused.length > 0) out += `(${unused.length} rule${unused.length === 1 ? '' : 's'} never observed: the documentation is wider than the traffic)\n`;
  const findings = [...agg.findings.values()].sort((a, b) => a.first - b.first || a.destination.localeCompare(b.destination));
  if (findings.length === 0) return out + '\nNo undeclared traffic.\n';
  const ft = newTable(['destination', 'port', 'proto', 'reason', 'flows', 'dns queries', 'bytes', 'first seen']);
  for (const f of findings.slice(0, 200)) {
    ft.push([terminalSafe(f.destination), String(f.port), f.proto, f.reason, String(f.flows), String(f.queries), formatBytes(f.bytes), isoTime(f.first)]);
  }
  out += `\nUndeclared destinations (${findings.length})\n${ft.toString()}\n`;
  if (findings.length > 200) out += `(${findings.length - 200} more; use --format ndjson for all)\n`;
  return out;
}

/**
 * The port a flow's service listens on: the remote's for egress, the device's for inbound (SSH
 * into the device is port 22, not the client's ephemeral port), as the findings CSV shows it.
 */
function servicePort(f: FlowRecord): number {
  return f.direction === 'inbound' ? f.device_port : f.remote_port;
}
