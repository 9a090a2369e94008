/**
 * The NDJSON byte encoder writes exactly what renderNdjsonLine (JSON.stringify) writes: checked
 * byte for byte on every record of the shipped fixtures and the corpora (with and without
 * verdict fields), on generated records with hostile strings and odd numbers, and at the edges
 * of the output buffer (records larger than the free space, values of unexpected kinds).
 */
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { runAudit } from '../../../src/audit';
import { policyStageFromFlags } from '../../../src/cli/policy-flags';
import { parseCidr } from '../../../src/net/addr';
import { renderNdjsonLine } from '../../../src/report/ndjson';
import { NdjsonEncoder } from '../../../src/report/ndjson-encoder';
import type { OutputFile } from '../../../src/report/output';
import type { DnsRecord, FlowRecord } from '../../../src/report/records';
import { MemoryOutput } from '../../helpers/memory-output';
import { describeShared, REPO_ROOT, sharedPath } from '../../helpers/shared';

function encoded(recs: (FlowRecord | DnsRecord)[]): string {
  const out = new MemoryOutput();
  const enc = new NdjsonEncoder(out as unknown as OutputFile);
  for (const r of recs) {
    if (r.type === 'flow') enc.flow(r);
    else enc.dns(r);
  }
  return out.text();
}

/** Replays files (optionally judged by rule packs) and returns every record as the sinks got it. */
function records(files: string[], rules: string[] | null, devices: string[] = []): (FlowRecord | DnsRecord)[] {
  const cidrs = devices.map((d) => parseCidr(d)!);
  const res = runAudit({
    inputs: files, format: 'ndjson', pipeline: { devices: cidrs }, keepRecords: true,
    stage: rules ? policyStageFromFlags({ rules }, cidrs) : undefined,
  }, new MemoryOutput() as unknown as OutputFile);
  return [...res.records!.flows, ...res.records!.dns];
}

function expectSameBytes(recs: (FlowRecord | DnsRecord)[]): void {
  const want = recs.map((r) => renderNdjsonLine(r));
  const text = encoded(recs);
  const got = text === '' ? [] : text.split(/(?<=\n)/);
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) expect(got[i]).toBe(want[i]);
}

const CAPTURES = fs.readdirSync(path.join(REPO_ROOT, 'captures')).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join(REPO_ROOT, 'captures', f));

describe('byte-identical to JSON.stringify on real records', () => {
  test('every record of the shipped fixtures, without rules', () => {
    const recs = records(CAPTURES, null);
    expect(recs.length).toBeGreaterThan(50);
    expect(recs.some((r) => r.type === 'flow' && r.ja4)).toBe(true);
    expectSameBytes(recs);
  });
  test.each(['nebra-hotspot', 'bitbox-base', 'radar-pod'])('every record of the shipped fixtures, judged by %s (verdict fields)', (pack) => {
    const recs = records(CAPTURES, [pack]);
    expect(recs.every((r) => r.verdict !== undefined)).toBe(true);
    expectSameBytes(recs);
  });
});

describeShared('byte-identical to JSON.stringify on the corpora', () => {
  test('every record of every ../shared/corpus capture', () => {
    const dir = sharedPath('corpus');
    const files = fs.readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => path.join(dir, f));
    expect(files.length).toBeGreaterThan(20);
    let n = 0;
    for (const f of files) {
      const recs = records([f], null);
      n += recs.length;
      expectSameBytes(recs);
    }
    expect(n).toBeGreaterThan(300); // the 54 captures hold ~460 flow and DNS records
  });
  test('every record of the corpus-sim captures, judged by their rule sets', () => {
    const dir = sharedPath('corpus-sim');
    const files = fs.readdirSync(dir).filter((f) => /\.pcap(ng)?$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      const labels = JSON.parse(fs.readFileSync(path.join(dir, `${f}.labels.json`), 'utf8')) as { device: { id: string } };
      const rules = path.join(REPO_ROOT, 'test', 'fixtures', 'sim-rules', `${labels.device.id}.yaml`);
      expectSameBytes(records([path.join(dir, f)], [rules], ['192.0.2.0/24', '2001:db8::/64']));
    }
  });
});

// Hostile text: controls, quotes, backslashes, DEL, NEL, line separators, non-ASCII, lone surrogates.
const hostileUnit = fc.constantFrom('a', '.', '"', '\\', '\u0000', '\u001f', '\u007f', '\u0085', '\u2028', '\u2029', 'é', '\ud800', '\udc00', '😀', '\n');
// Long strings (the policy's explanations run to ~200 characters): printable ASCII edges alone,
// and the same with one hostile character anywhere in it.
const longPlain = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '!', '#', '[', ']', '~', '.', '0'), minLength: 60, maxLength: 300 });
const hostile = fc.oneof(
  fc.string({ unit: hostileUnit }),
  fc.string({ unit: 'binary' }),
  fc.string(),
  longPlain,
  fc.tuple(longPlain, hostileUnit, fc.nat()).map(([s, c, at]) => s.slice(0, at % (s.length + 1)) + c + s.slice(at % (s.length + 1))),
);
const number = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
  fc.double(),
  fc.integer({ min: 0, max: 2 ** 32 * 1e6 }).map((m) => m / 1e6),
  fc.integer({ min: 1_500_000_000_000_000, max: 1_900_000_000_000_000 }).map((m) => m / 1e6),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 2 ** 53, 1e21, 1e-7, 0.000001),
);
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const flowArb: fc.Arbitrary<FlowRecord> = fc.record({
  type: fc.constant('flow' as const), id: number, proto: fc.constantFrom('tcp' as const, 'udp' as const),
  direction: fc.constantFrom('egress' as const, 'inbound' as const, 'local' as const),
  device_ip: hostile, device_port: number, remote_ip: hostile, remote_port: number, first_ts: number, last_ts: number,
  packets_out: number, packets_in: number, bytes_out: number, bytes_in: number,
  app: fc.option(hostile), sni: fc.option(hostile), alpn: fc.option(fc.array(hostile, { maxLength: 3 })), http_host: fc.option(hostile),
  dns_names: fc.option(fc.array(hostile, { maxLength: 3 })), name: fc.option(hostile), name_source: fc.constantFrom(null, 'sni' as const, 'dns-answer' as const),
  names: fc.array(fc.record({ name: hostile, source: fc.constantFrom('sni' as const, 'http-host' as const) }), { maxLength: 3 }),
  anomalies: fc.array(hostile, { maxLength: 3 }),
  unnamed_reason: opt(fc.option(hostile)), tunnel_depth: opt(number), syn_seen: opt(fc.boolean()),
  initiator_by: opt(fc.constantFrom('syn' as const, 'first-packet' as const, 'port-heuristic' as const, 'http-request' as const)),
  tls_versions: opt(fc.option(fc.array(number, { maxLength: 3 }))), key_share_groups: opt(fc.option(fc.array(number, { maxLength: 3 }))),
  ech: opt(fc.boolean()), ech_config: opt(fc.boolean()), esni: opt(fc.boolean()), ja3: opt(fc.option(hostile)), ja4: opt(fc.option(hostile)),
  encrypted_dns: opt(fc.constantFrom(null, 'dot' as const, 'doh' as const)), quic_version: opt(hostile),
  reply_to: opt(number), reply_group: opt(hostile), foreign: opt(fc.boolean()), quic_path_of: opt(number),
  verdict: opt(fc.constantFrom('declared' as const, 'undeclared' as const)), rule: opt(fc.option(hostile)), pack: opt(fc.option(hostile)),
  reasons: opt(fc.array(hostile, { maxLength: 2 })), explanation: opt(hostile), open: opt(fc.boolean()),
}, { requiredKeys: ['type'] }).map((r) => r as FlowRecord);

const dnsArb: fc.Arbitrary<DnsRecord> = fc.record({
  type: fc.constant('dns' as const), ts: number, proto: fc.constantFrom('udp' as const, 'tcp' as const), app: opt(hostile),
  client_ip: hostile, client_port: number, server_ip: hostile, server_port: number, id: number, qname: hostile, qtype: hostile,
  rcode: fc.option(hostile),
  answers: fc.array(fc.record({ name: hostile, type: hostile, data: hostile, ttl: number }), { maxLength: 4 }),
  response_only: opt(fc.boolean()), flow_id: opt(number), process: opt(hostile), direction: opt(fc.constant('inbound' as const)),
  foreign: opt(fc.boolean()), cname_of: opt(hostile), ech_config: opt(fc.boolean()),
  verdict: opt(fc.constantFrom('declared' as const, 'undeclared' as const)), rule: opt(fc.option(hostile)), pack: opt(fc.option(hostile)),
  reasons: opt(fc.array(hostile, { maxLength: 2 })), explanation: opt(hostile),
}, { requiredKeys: ['type'] }).map((r) => r as DnsRecord);

describe('byte-identical to JSON.stringify on generated records', () => {
  test('flow records: hostile strings, any numbers, any subset of fields (missing ones take the string path)', () => {
    fc.assert(fc.property(fc.array(flowArb, { minLength: 1, maxLength: 5 }), (recs) => expectSameBytes(recs)), { numRuns: 400 });
  });
  test('DNS records', () => {
    fc.assert(fc.property(fc.array(dnsArb, { minLength: 1, maxLength: 5 }), (recs) => expectSameBytes(recs)), { numRuns: 400 });
  });
  test('timestamps with microseconds take the integer path and still match String(x)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 * 1e6 - 1 }), (m) => {
      const rec = { type: 'dns', ts: m / 1e6, proto: 'udp', client_ip: 'a', client_port: 1, server_ip: 'b', server_port: 53, id: 1, qname: 'x', qtype: 'A', rcode: null, answers: [] } as DnsRecord;
      expect(encoded([rec])).toBe(renderNdjsonLine(rec));
    }), { numRuns: 5000 });
  });
});

describe('timestamps in sequence (the encoder keeps the last seconds value)', () => {
  test('same seconds, next seconds, fewer and more digits, and back: each line as JSON.stringify writes it', () => {
    const times = [1717200000.5, 1717200000.000001, 1717200000, 1717200001.25, 999999999.999999, 1717200000.1, 0.5, 10, 4294967295.999999, 1717200000.5];
    expectSameBytes(times.map((ts) => ({
      type: 'dns', ts, proto: 'udp', client_ip: 'a', client_port: 1, server_ip: 'b', server_port: 53, id: 1, qname: 'x', qtype: 'A', rcode: null, answers: [],
    }) as DnsRecord));
  });
});

describe('output buffer edges', () => {
  const dnsWith = (n: number, i: number): DnsRecord => ({
    type: 'dns', ts: 1717200000.5 + i, proto: 'udp', client_ip: '192.0.2.1', client_port: 5353, server_ip: '198.51.100.1', server_port: 53,
    id: i, qname: 'x.example', qtype: 'TXT', rcode: 'NOERROR',
    answers: Array.from({ length: n }, (_, j) => ({ name: 'x.example', type: 'TXT', data: `v=${j}`.padEnd(200, 'z'), ttl: 60 })),
  });
  test('a record larger than the free buffer space (and than the buffer) is written whole, in order', () => {
    const recs = [dnsWith(1, 0), dnsWith(3000, 1), dnsWith(6000, 2), dnsWith(2, 3)];
    expect(renderNdjsonLine(recs[2]).length).toBeGreaterThan(1 << 20);
    expectSameBytes(recs);
  });
  test('many records across several buffer flushes: every line whole and in order', () => {
    const recs = Array.from({ length: 3000 }, (_, i) => dnsWith(1 + (i % 7), i));
    const out = new MemoryOutput();
    const enc = new NdjsonEncoder(out as unknown as OutputFile);
    for (const r of recs) enc.dns(r);
    // Each flushed chunk ends at a line end: no reader of a flushed buffer sees half a record.
    out.flush();
    expect(out.chunks.length).toBeGreaterThan(1);
    for (const c of out.chunks) expect(c.endsWith('\n')).toBe(true);
    expect(out.chunks.join('')).toBe(recs.map((r) => renderNdjsonLine(r)).join(''));
  });
  test('a value of an unexpected kind is rendered by the string path, not garbled', () => {
    const odd = { ...dnsWith(1, 0), qname: 42, answers: 'none', client_port: '53' } as unknown as DnsRecord;
    expectSameBytes([odd, dnsWith(1, 1)]);
  });
  test('nothing is written once the reader went away', () => {
    const out = new MemoryOutput();
    const enc = new NdjsonEncoder(out as unknown as OutputFile);
    out.brokenPipe = true;
    enc.dns(dnsWith(1, 0));
    expect(out.text()).toBe('');
  });
});
