/**
 * The terminal table: top destinations by bytes with their names and how each was learned,
 * then a summary of the run. Rendering only: records in, text out.
 *
 * Every string that came from the network is made safe for a terminal (control characters,
 * escape sequences and bidi overrides shown as visible escapes); cli-table3 is given empty
 * styles so no colour codes reach a pipe.
 */
import Table from 'cli-table3';
import type { RuleLocation } from './model';

/**
 * A line's width in terminal columns, measured as cli-table3 measures it when it lays out and
 * cuts cells (a CJK character takes two, a combining mark none): a width counted in UTF-16 code
 * units would make a column too narrow for its text, and cli-table3 would cut the text with '…'.
 */
const displayWidth = (require('cli-table3/src/utils') as { strlen: (s: string) => number }).strlen;
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

/**
 * A table of `rows` under `head` that fits `width` terminal columns when it can. When it is too
 * wide, `narrow` (the same rows, times split over two lines) takes its place, and a column whose
 * `min` is given may be narrowed down to it (the widest first), its cells wrapped to fit (after
 * a space, else a '.', '/', '-', ':' or ',', where one is near, else at the width); the others
 * keep their widest cell. No width (Infinity): every column as wide as its widest cell.
 */
function fittedTable(head: string[], wide: string[][], min: (number | null)[], width: number, narrow: string[][] = wide): string {
  // Each column costs its content, a space either side and a border; the table one more border.
  const room = width - 3 * head.length - 1;
  // A loop, not Math.max(...cells): a spread of a long table's cells overflows the call stack.
  const widest = (rows: string[][]) => head.map((h, i) => {
    let w = 0;
    for (const c of [h, ...rows.map((r) => r[i])]) for (const l of c.split('\n')) w = Math.max(w, displayWidth(l));
    return w;
  });
  let rows = wide;
  let natural = widest(rows);
  const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
  if (sum(natural) > room && narrow !== wide) {
    rows = narrow;
    natural = widest(rows);
  }
  const widths = natural.slice();
  if (sum(natural) > room) {
    const flex = natural.map((n, i) => (min[i] !== null && min[i]! < n ? i : -1)).filter((i) => i >= 0);
    const fixed = natural.reduce((a, n, i) => a + (flex.includes(i) ? 0 : n), 0);
    // Water-filling: the largest cap c with sum(max(min, min(natural, c))) within the room.
    const sumAt = (c: number) => flex.reduce((a, i) => a + Math.max(min[i]!, Math.min(natural[i], c)), 0);
    let c = Math.max(...flex.map((i) => natural[i]));
    while (c > 1 && fixed + sumAt(c) > room) c--;
    for (const i of flex) widths[i] = Math.max(min[i]!, Math.min(natural[i], c));
    // What the integer cap left over goes a column at a time to the one cut most.
    for (let spare = room - fixed - sumAt(c); spare > 0; spare--) {
      let most = -1;
      for (const i of flex) if (widths[i] < natural[i] && (most < 0 || natural[i] - widths[i] > natural[most] - widths[most])) most = i;
      if (most < 0) break;
      widths[most]++;
    }
  }
  const t = new Table({ head: head.map((h, i) => wrapText(h, widths[i])), style: { head: [], border: [] }, colWidths: widths.map((w) => w + 2) });
  for (const r of rows) t.push(r.map((c, i) => wrapText(c, widths[i])));
  return t.toString();
}

/** Breaks each line of `text` into lines of at most `width` characters, after a separator near the end where there is one. */
function wrapText(text: string, width: number): string {
  const out: string[] = [];
  for (let line of text.split('\n')) {
    while (displayWidth(line) > width) {
      // `fits`: how many code units of the line fit the width (whole characters, at least one).
      const fits = fittingPrefix(line, width);
      // After a space if there is one near the end, else after another separator, else at the width.
      let at = -1;
      for (let k = fits + 1; k > fits / 3 && at < 0; k--) if (line[k - 1] === ' ') at = k; // the space itself is dropped
      for (let k = fits; k > fits / 3 && at < 0; k--) if ('./-:,'.includes(line[k - 1])) at = k;
      if (at < 0) at = fits;
      out.push(line.slice(0, at).trimEnd());
      line = line.slice(at).trimStart();
    }
    out.push(line);
  }
  return out.join('\n');
}

/** The length in code units of the longest start of `line` no wider than `width` columns; at least its first character. */
function fittingPrefix(line: string, width: number): number {
  let n = 0;
  for (const ch of line) {
    if (n > 0 && displayWidth(line.slice(0, n + ch.length)) > width) break;
    n += ch.length;
  }
  return n;
}

/** Renders the destination table, fitting `width` columns (destination, how names were learned and the verdict wrap). */
export function renderDestinationTable(agg: DestinationAggregator, withVerdicts: boolean, n = TABLE_TOP_N, width = Infinity): string {
  const head = ['direction', 'destination', 'port', 'flows', 'bytes', 'name learned from'];
  const min: (number | null)[] = [null, 12, null, null, null, 10];
  if (withVerdicts) { head.push('verdict'); min.push(14); }
  const rows: string[][] = [];
  for (const r of agg.top(n)) {
    const row = [r.direction, terminalSafe(r.destination), `${r.port}/${r.proto}`, String(r.flows), formatBytes(r.bytes), [...r.sources].join(', ')];
    if (withVerdicts) row.push(r.verdict === 'undeclared' ? `UNDECLARED (${[...r.reasons].join(', ')})` : (r.verdict ?? ''));
    rows.push(row);
  }
  const more = agg.rows.size > n ? `\n(${agg.rows.size - n} more destinations; use --format ndjson for all)\n` : '\n';
  return `Top destinations by bytes\n${fittedTable(head, rows, min, width)}${more}`;
}

/** Renders the run summary as a few lines, each wrapped at a space to `width` columns (continued two spaces in). */
export function renderSummaryText(s: SummaryRecord, width = Infinity): string {
  const lines: string[] = [];
  lines.push(`packets ${s.packets}  bytes ${formatBytes(s.bytes)}  flows ${s.flows}  dns queries ${s.dns_queries}`);
  const list = (xs: string[]): string => xs.slice(0, 8).map((d) => terminalSafe(d)).join(', ') + (xs.length > 8 ? `, … (${xs.length} in all)` : '');
  const source = s.device_source === 'flag' ? 'from --device' : s.device_source === 'interface' ? 'from the capture interface' : 'inferred per flow; pass --device to fix them';
  // The prefixes taken as the device are named even when no traffic from them was seen: an idle
  // run must still say which addresses it was watching for.
  const taken = (s.device_prefixes ?? []).map((p) => p.replace(/\/(32|128)$/, ''));
  const devices = s.device_ips.length > 0 ? list(s.device_ips) : taken.length > 0 ? `${list(taken)} (no traffic from ${taken.length === 1 ? 'it' : 'them'} seen)` : 'none';
  lines.push(`device addresses (${source}): ${devices}`);
  if (s.packets === 0 && s.inputs.some((i) => i.format === 'live')) lines.push('no packets were captured: the link was idle, or --filter let nothing through');
  if (s.verdicts) lines.push(`verdicts: ${s.verdicts.declared} declared, ${s.verdicts.undeclared} undeclared${s.verdicts.not_judged ? `, ${s.verdicts.not_judged} not judged (local traffic no pack has rules for, or not the --device's)` : ''}`);
  const an = Object.entries(s.anomalies);
  if (an.length > 0) lines.push(`anomalies: ${an.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  if (s.capture && s.capture.dropped + s.capture.if_dropped > 0) {
    lines.push(`WARNING: ${s.capture.dropped + s.capture.if_dropped} packets were dropped by the capture; this audit is incomplete`);
  }
  const outages = s.capture?.link_outages ?? [];
  if (outages.length > 3) lines.push(`WARNING: the capture link was down ${outages.length}${outages.length >= 100 ? ' or more' : ''} times; the first three:`);
  for (const o of outages.slice(0, 3)) {
    const at = (t: number): string => new Date(Math.floor(t) * 1000).toISOString().replace('.000Z', 'Z');
    const how = o.end === null ? 'and stayed down to the end' : o.seconds === null ? `and up again by ${at(o.end)}` : `for ${o.seconds} s`;
    lines.push(`WARNING: the capture link was down from ${at(o.start)} ${how}; this audit is incomplete`);
  }
  for (const e of s.errors ?? []) lines.push(`error: ${terminalSafe(e.message, 1000)}`); // messages name files, and file names can hold anything
  return lines.map((l) => wrapProse(l, width)).join('\n') + '\n';
}

/** Breaks a line of prose at spaces so that no part is wider than `width` (a word wider than that stays whole). */
function wrapProse(line: string, width: number): string {
  const out: string[] = [];
  let rest = line;
  while (rest.length > width) {
    const at = rest.lastIndexOf(' ', width);
    if (at <= 2) break;
    out.push(rest.slice(0, at));
    rest = `  ${rest.slice(at + 1)}`;
  }
  out.push(rest);
  return out.join('\n');
}

/** Traffic per rule: flows and bytes it declared (or forbade), first and last seen. */
interface RuleRow { rule: string; pack: string; flows: number; dns: number; bytes: number; first: number; last: number }

/** One undeclared destination: (name or address, port, transport, main reason), and where its first record was judged against. */
interface FindingRow { destination: string; port: number; proto: string; reason: string; flows: number; queries: number; bytes: number; first: number; against: RuleLocation | null }

/** Aggregates judged records for the audit tables (issue 3: per rule, then every undeclared destination). */
export class PolicyAggregator {
  readonly rules = new Map<string, RuleRow>();
  readonly findings = new Map<string, FindingRow>();
  /** Where an undeclared record was judged against (the policy stage's judgedAgainst); asked once per finding. */
  locate: ((rec: FlowRecord | DnsRecord) => RuleLocation | null) | null = null;

  constructor(private readonly maxRows = 100_000) {}

  /** Adds a judged flow. */
  addFlow(f: FlowRecord): void {
    const bytes = f.bytes_out + f.bytes_in;
    this.note(f.rule ?? null, f.pack ?? null, f.first_ts, f.last_ts, bytes, 'flow');
    if (f.verdict === 'undeclared') this.finding(f, f.name ?? f.remote_ip, servicePort(f), f.proto, f.reasons?.[0] ?? 'undeclared', f.first_ts, bytes, 'flow');
  }

  /** Adds a judged DNS query. */
  addDns(d: DnsRecord): void {
    this.note(d.rule ?? null, d.pack ?? null, d.ts, d.ts, 0, 'dns');
    if (d.verdict === 'undeclared') this.finding(d, d.qname || '(empty)', d.server_port, d.proto, d.reasons?.[0] ?? 'undeclared', d.ts, 0, 'dns');
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

  private finding(rec: FlowRecord | DnsRecord, destination: string, port: number, proto: string, reason: string, first: number, bytes: number, kind: 'flow' | 'dns'): void {
    const key = `${destination}\u0000${port}\u0000${proto}\u0000${reason}`;
    let r = this.findings.get(key);
    if (!r) {
      if (this.findings.size >= this.maxRows) return;
      r = { destination, port, proto, reason, flows: 0, queries: 0, bytes: 0, first, against: this.locate?.(rec) ?? null };
      this.findings.set(key, r);
    }
    if (kind === 'flow') r.flows++; else r.queries++;
    r.bytes += bytes;
    r.first = Math.min(r.first, first);
  }
}

/** RFC 3339 time (UTC, seconds; a space between date and time, where a narrow column wraps) of an epoch-seconds timestamp. */
function isoTime(ts: number): string {
  return new Date(Math.round(ts * 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z').replace('T', ' ');
}

/**
 * The "judged against" cell of a finding: the rules file line and rule, then the vendor-document
 * line the rule quotes (its `file:line` where the source starts with one, else the source cut
 * short; the full text is in every other format). Both come from files anyone may write, so
 * they are made terminal-safe.
 */
function againstText(l: RuleLocation | null): string {
  if (l === null) return 'no rules';
  const where = `${terminalSafe(l.file, 200)}:${l.line}`;
  if (l.rule === null) return `no rule for the port\n${where}`;
  const ref = l.source === undefined ? null : /^(implied:|\S+:\d+)/.exec(l.source)?.[1] ?? l.source;
  return `${terminalSafe(l.rule, 200)}\n${where}${ref === null ? '' : `\ndoc: ${terminalSafe(ref, 60)}`}`;
}

/**
 * Rows of the per-rule table. A pack set of a hundred thousand rules (a generated allow list)
 * overflowed the call stack in the table library; no terminal reader scrolls past this many.
 */
export const MAX_RULE_ROWS = 1000;

/**
 * Renders the audit tables, fitting `width` columns: per rule, then every undeclared destination
 * (first seen first) with the rule and document line it was judged against, as the other formats
 * cite it.
 */
export function renderPolicyTables(agg: PolicyAggregator, ruleIds: readonly { pack: string; id: string }[], width = Infinity): string {
  const ruleRows: string[][] = [];
  const seen = new Set<string>();
  for (const r of [...agg.rules.values()].sort((a, b) => a.pack.localeCompare(b.pack) || a.rule.localeCompare(b.rule))) {
    seen.add(`${r.pack}\u0000${r.rule}`);
    ruleRows.push([r.pack, r.rule, String(r.flows), String(r.dns), formatBytes(r.bytes), isoTime(r.first), isoTime(r.last)]);
  }
  const unused = ruleIds.filter((r) => !seen.has(`${r.pack}\u0000${r.id}`));
  for (const r of unused) {
    if (ruleRows.length >= MAX_RULE_ROWS) break;
    ruleRows.push([r.pack, r.id, '0', '0', '0 B', '-', '-']);
  }
  // Rules that saw traffic come first and are all listed up to the bound; unused ones fill the rest.
  const hiddenRules = agg.rules.size + unused.length - Math.min(ruleRows.length, MAX_RULE_ROWS);
  ruleRows.length = Math.min(ruleRows.length, MAX_RULE_ROWS);
  // Where the terminal is narrow, a time goes over two lines: its date, then its time.
  const twoLines = (rows: string[][], cols: number[]) => rows.map((r) => r.map((c, i) => (cols.includes(i) ? c.replace(' ', '\n') : c)));
  const rt = fittedTable(['pack', 'rule', 'flows', 'dns queries', 'bytes', 'first seen', 'last seen'], ruleRows, [8, 10, null, 7, null, null, null], width, twoLines(ruleRows, [5, 6]));
  let out = `Traffic per rule\n${rt}\n`;
  if (hiddenRules > 0) out += `(${hiddenRules} more rules not shown; use --format ndjson, whose records name their rule)\n`;
  if (unused.length > 0) out += `(${unused.length} rule${unused.length === 1 ? '' : 's'} never observed: the documentation is wider than the traffic)\n`;
  const findings = [...agg.findings.values()].sort((a, b) => a.first - b.first || a.destination.localeCompare(b.destination));
  if (findings.length === 0) return out + '\nNo undeclared traffic.\n';
  // The port goes under the destination and the counts share a cell, so that the rule and
  // document line each finding was judged against still fit a terminal 100 columns wide.
  const rows = findings.slice(0, 200).map((f) => [
    `${terminalSafe(f.destination)}\n${f.port}/${f.proto}`, f.reason,
    [f.flows > 0 ? `${f.flows} flow${f.flows === 1 ? '' : 's'}` : '', f.queries > 0 ? `${f.queries} dns` : '', formatBytes(f.bytes)].filter((x) => x !== '').join('\n'),
    isoTime(f.first), againstText(f.against),
  ]);
  const ft = fittedTable(['destination\nport', 'reason', 'traffic', 'first seen', 'judged against'], rows, [12, 12, null, null, 16], width, twoLines(rows, [3]));
  out += `\nUndeclared destinations (${findings.length})\n${ft}\n`;
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
