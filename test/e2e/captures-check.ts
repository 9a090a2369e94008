/**
 * Compares the NDJSON records of one `egress-audit replay` run with a `CaptureExpectation` and
 * returns every mismatch as a readable line (empty list = pass), so a failing capture shows all
 * its differences at once instead of stopping at the first.
 *
 * Test helper only: pure (no I/O, no jest calls); never relaxes a check silently — fields the
 * expectation omits are the only ones not compared.
 */
import type { DnsRecord, FlowRecord, OutputRecord, SummaryRecord } from '../../src/report/records';
import type { CaptureExpectation, DnsExpectation, FlowExpectation } from './captures.expect';

/** Timestamps may differ by rounding vs truncating nanoseconds to microseconds, and by float printing. */
export const TS_TOLERANCE_SECONDS = 2e-6;

const FLOW_KEY = ['proto', 'device_ip', 'device_port', 'remote_ip', 'remote_port'] as const;
const TS_FIELDS = new Set(['first_ts', 'last_ts', 'ts']);

function same(field: string, actual: unknown, expected: unknown): boolean {
  if (TS_FIELDS.has(field) && typeof actual === 'number' && typeof expected === 'number') return Math.abs(actual - expected) <= TS_TOLERANCE_SECONDS;
  return JSON.stringify(actual) === JSON.stringify(expected);
}

function flowLabel(f: Pick<FlowExpectation, (typeof FLOW_KEY)[number]>): string {
  return `${f.proto} ${f.device_ip}:${f.device_port} ↔ ${f.remote_ip}:${f.remote_port}`;
}

function checkFlow(exp: FlowExpectation, got: FlowRecord, out: string[]): void {
  const label = flowLabel(exp);
  for (const [field, want] of Object.entries(exp)) {
    if (want === undefined || field === 'why' || field === 'names_include' || field === 'key_share_groups_include') continue;
    const have = (got as unknown as Record<string, unknown>)[field];
    if (!same(field, have, want)) out.push(`flow ${label}: ${field} = ${JSON.stringify(have)}, expected ${JSON.stringify(want)} (${exp.why})`);
  }
  for (const n of exp.names_include ?? []) {
    if (!got.names?.some((c) => c.name === n.name && c.source === n.source)) {
      out.push(`flow ${label}: names ${JSON.stringify(got.names)} lacks ${JSON.stringify(n)}`);
    }
  }
  for (const g of exp.key_share_groups_include ?? []) {
    if (!got.key_share_groups?.includes(g)) out.push(`flow ${label}: key_share_groups ${JSON.stringify(got.key_share_groups)} lacks ${g}`);
  }
}

function dnsLabel(d: Pick<DnsExpectation, 'client_port' | 'id' | 'qname' | 'qtype'>): string {
  return `dns ${d.qname} ${d.qtype} (id 0x${d.id.toString(16)}, client port ${d.client_port})`;
}

function checkDns(exp: DnsExpectation, got: DnsRecord, out: string[]): void {
  for (const [field, want] of Object.entries(exp)) {
    const have = (got as unknown as Record<string, unknown>)[field];
    if (!same(field, have, want)) out.push(`${dnsLabel(exp)}: ${field} = ${JSON.stringify(have)}, expected ${JSON.stringify(want)}`);
  }
}

function checkSummary(exp: CaptureExpectation, got: SummaryRecord | undefined, out: string[]): void {
  if (!got) {
    out.push('no summary record');
    return;
  }
  const s = exp.summary;
  for (const field of ['packets', 'bytes', 'flows', 'dns_queries'] as const) {
    if (got[field] !== s[field]) out.push(`summary: ${field} = ${got[field]}, expected ${s[field]}`);
  }
  const ips = [...(got.device_ips ?? [])].sort();
  if (JSON.stringify(ips) !== JSON.stringify([...s.device_ips].sort())) out.push(`summary: device_ips = ${JSON.stringify(got.device_ips)}, expected ${JSON.stringify(s.device_ips)}`);
  s.inputs.forEach((want, i) => {
    const have = got.inputs?.[i];
    if (!have) out.push(`summary: inputs[${i}] missing`);
    else {
      for (const field of ['format', 'link_types', 'packets'] as const) {
        if (!same(field, have[field], want[field])) out.push(`summary: inputs[${i}].${field} = ${JSON.stringify(have[field])}, expected ${JSON.stringify(want[field])}`);
      }
    }
  });
  const codes = (got.errors ?? []).map((e) => e.code);
  for (const c of s.error_codes) if (!codes.includes(c)) out.push(`summary: errors ${JSON.stringify(codes)} lack ${c}`);
  if (s.error_codes.length === 0 && codes.length > 0) out.push(`summary: unexpected errors ${JSON.stringify(got.errors)}`);
  if (s.truncated_at !== undefined) {
    const at = s.truncated_at;
    const e = got.errors?.find((x) => x.code === 'EA_CAPTURE_TRUNCATED');
    if (!e?.file?.endsWith(exp.file)) out.push(`summary: truncation error does not name the file: ${JSON.stringify(e)}`);
    if (e?.offset === undefined || e.offset < at || e.offset > at + 16) out.push(`summary: truncation offset ${e?.offset}, expected ${at}..${at + 16}`);
  }
}

/** Every difference between the run's records (and exit code) and the expectation. */
export function diffAgainstExpectation(exp: CaptureExpectation, records: readonly OutputRecord[], exitCode: number | null): string[] {
  const out: string[] = [];
  if (exitCode !== exp.exit_code) out.push(`exit code ${exitCode}, expected ${exp.exit_code}`);
  const flows = records.filter((r): r is FlowRecord => r.type === 'flow');
  const dns = records.filter((r): r is DnsRecord => r.type === 'dns');
  checkSummary(exp, records.find((r): r is SummaryRecord => r.type === 'summary'), out);

  const unmatched = new Set(flows);
  for (const f of exp.flows) {
    let hits = flows.filter((g) => FLOW_KEY.every((k) => g[k] === f[k]));
    // One 5-tuple can carry several connections (a port reused with a new ISN): told apart by first packet.
    if (hits.length > 1 && f.first_ts !== undefined) hits = hits.filter((g) => Math.abs(g.first_ts - f.first_ts!) <= 2e-6);
    if (hits.length !== 1) {
      out.push(`flow ${flowLabel(f)}: ${hits.length} records, expected 1 (${f.why})`);
      continue;
    }
    unmatched.delete(hits[0]);
    checkFlow(f, hits[0], out);
  }
  for (const g of unmatched) out.push(`unexpected flow ${flowLabel(g)} (name ${g.name})`);

  const unmatchedDns = new Set(dns);
  for (const d of exp.dns) {
    const hits = dns.filter((g) => g.client_port === d.client_port && g.id === d.id && g.qname === d.qname && g.qtype === d.qtype);
    if (hits.length !== 1) {
      out.push(`${dnsLabel(d)}: ${hits.length} records, expected 1`);
      continue;
    }
    unmatchedDns.delete(hits[0]);
    checkDns(d, hits[0], out);
  }
  for (const g of unmatchedDns) out.push(`unexpected ${dnsLabel(g)}`);
  return out;
}
