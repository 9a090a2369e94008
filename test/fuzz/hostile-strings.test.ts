/**
 * Hostile strings in every output (issue 6 §4). Names carrying terminal escape sequences,
 * control characters, bidi overrides, zero-width characters, NUL, bytes that are not UTF-8, a
 * backslash, and 60 KB of text must come out escaped in every format: terminal table, NDJSON,
 * JSON, and the bundle's HTML, Markdown, CSV, SARIF and JUnit XML.
 *
 * Two layers are tested. End to end: the names arrive as raw bytes in a capture (TLS SNI, ALPN,
 * HTTP Host, DNS names) and go through the real CLI — the extractors write every byte outside
 * printable ASCII as \DDD. Defence in depth: the same characters injected raw into records are
 * still made visible by each human-facing renderer, and keep every machine format well-formed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { run } from '../../src/main';
import { buildRunReport } from '../../src/report/run-report';
import { renderNdjsonLine } from '../../src/report/ndjson';
import { renderHtml } from '../../src/report/html';
import { renderMarkdown } from '../../src/report/markdown';
import { renderFindingsCsv, renderFlowsCsv } from '../../src/report/csv';
import { renderSarif } from '../../src/report/sarif';
import { renderJunit } from '../../src/report/junit';
import { DestinationAggregator, renderDestinationTable, renderSummaryText, terminalSafe } from '../../src/report/table';
import type { DnsRecord, FlowRecord, SummaryRecord } from '../../src/report/records';
import {
  T0, TCP_ACK, TCP_PSH, TCP_SYN, dnsMessage, httpGet, pcapBytes, tcpPacket, tempDir, udpPacket, TimedPacket,
} from '../helpers/packets';
import { clientHelloMessage, ext, records } from '../unit/extract/helpers/tls-builder';

/**
 * What a terminal, browser or editor acts on instead of showing: C0 controls other than TAB, LF
 * and CR; DEL; C1; bidi embeddings, overrides, isolates and marks; zero-width characters and the
 * BOM; Unicode line and paragraph separators.
 */
const DANGEROUS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]/u;

/** Raw bytes, as an attacker puts them on the wire. */
const HOSTILE_PIECES: Array<[string, number[]]> = [
  ['CSI colour + OSC title', [...Buffer.from('\x1b[31mred\x1b]0;pwned\x07', 'latin1')]],
  ['CR overwrite', [...Buffer.from('evil.example\rgood.example', 'latin1')]],
  ['NUL', [0x61, 0x00, 0x62]],
  ['RLO bidi override (UTF-8)', [0x61, 0xe2, 0x80, 0xae, 0x62]],
  ['zero-width space and BOM (UTF-8)', [0x61, 0xe2, 0x80, 0x8b, 0xef, 0xbb, 0xbf, 0x62]],
  ['bytes that are not UTF-8', [0x61, 0xff, 0xfe, 0xc0, 0x80, 0x62]],
  ['C1 CSI', [0x61, 0xc2, 0x9b, 0x33, 0x31, 0x6d]],
  ['backslash that would forge an escape', [...Buffer.from('a\\x1b[31m', 'latin1')]],
];

const DEVICE = '192.0.2.10';
const latin1 = (b: number[]): string => Buffer.from(b).toString('latin1');

/** A TCP connection whose first client segment is `payload`. */
function connection(ts: number, dst: string, sport: number, dport: number, payload: Uint8Array): TimedPacket[] {
  return [
    { ts, data: tcpPacket({ src: DEVICE, dst, sport, dport, flags: TCP_SYN, seq: 99 }) },
    { ts: ts + 1000, data: tcpPacket({ src: dst, dst: DEVICE, sport: dport, dport: sport, flags: TCP_SYN | TCP_ACK, seq: 7, ack: 100 }) },
    { ts: ts + 2000, data: tcpPacket({ src: DEVICE, dst, sport, dport, flags: TCP_ACK | TCP_PSH, seq: 100, ack: 8, payload }) },
  ];
}

/** Every hostile piece as SNI + ALPN, as HTTP Host, and as a DNS name; plus one 15,000-byte SNI of ESC bytes. */
function hostileCapture(): Uint8Array {
  const pkts: TimedPacket[] = [];
  let ts = T0;
  let port = 40000;
  HOSTILE_PIECES.forEach(([, bytes], i) => {
    const name = latin1(bytes);
    const hello = records(clientHelloMessage({ ciphers: [0x1301], extensions: [ext.sni(name), ext.alpn([name])] }));
    pkts.push(...connection((ts += 10_000), `203.0.113.${10 + i}`, port++, 443, hello));
    pkts.push(...connection((ts += 10_000), `198.51.100.${10 + i}`, port++, 80, httpGet(name.replace(/[\r\n]/g, '\x0b'))));
    // DNS labels carry the bytes as they are (dots would split them: replace them).
    const label = latin1(bytes.map((b) => (b === 0x2e ? 0x2d : b))).slice(0, 63);
    pkts.push({ ts: (ts += 10_000), data: udpPacket(DEVICE, '192.0.2.53', port++, 53, dnsMessage(i + 1, false, `${label}.example`, 1)) });
  });
  const huge = latin1(new Array<number>(15_000).fill(0x1b));
  pkts.push(...connection((ts += 10_000), '203.0.113.99', port++, 443, records(clientHelloMessage({ ciphers: [0x1301], extensions: [ext.sni(huge)] }))));
  return pcapBytes(pkts);
}

function expectNoDangerous(label: string, text: string): void {
  const m = DANGEROUS.exec(text);
  if (m) throw new Error(`${label}: raw U+${m[0].codePointAt(0)!.toString(16).padStart(4, '0')} at ${m.index}: ${JSON.stringify(text.slice(Math.max(0, m.index - 40), m.index + 40))}`);
}

/** XML 1.0 §2.2: characters a parser must reject. */
const XML_ILLEGAL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => { tmp = tempDir('hostile'); });
afterAll(() => tmp.cleanup());

describe('end to end: hostile bytes in a capture, every output format', () => {
  let capture: string;
  let bundle: string;
  const outputs: Record<string, string> = {};

  beforeAll(async () => {
    capture = tmp.write('hostile.pcap', hostileCapture());
    bundle = path.join(tmp.dir, 'bundle');
    for (const format of ['table', 'ndjson', 'json']) {
      const out = path.join(tmp.dir, `out.${format}`);
      const args = ['replay', capture, '--device', DEVICE, '--rules', 'nebra-hotspot', '--fail-on', 'none', '--format', format, '-o', out];
      if (format === 'ndjson') args.push('--bundle', bundle);
      const code = await run(args, { stderr: () => undefined });
      expect(code).toBe(0);
      outputs[format] = fs.readFileSync(out, 'utf8');
    }
    for (const f of fs.readdirSync(bundle)) outputs[f] = fs.readFileSync(path.join(bundle, f), 'utf8');
  });

  test('the bundle has every format (html, md, csv, sarif, junit, json)', () => {
    expect(Object.keys(outputs).sort()).toEqual(expect.arrayContaining(['report.html', 'report.md', 'findings.csv', 'flows.csv', 'audit.sarif', 'junit.xml', 'audit.json']));
  });

  test.each(['table', 'ndjson', 'json', 'report.html', 'report.md', 'findings.csv', 'flows.csv', 'audit.sarif', 'junit.xml', 'audit.json'])('%s: no raw control, bidi or zero-width character', (f) => {
    expectNoDangerous(f, outputs[f]);
  });

  test('NDJSON: whole lines of valid JSON; names keep every byte as \\DDD', () => {
    const lines = outputs.ndjson.split('\n');
    expect(lines.pop()).toBe('');
    const recs = lines.map((l) => JSON.parse(l) as { type: string; sni?: string | null; http_host?: string | null; alpn?: string[] | null; qname?: string });
    const snis = recs.filter((r) => r.type === 'flow' && r.sni).map((r) => r.sni!);
    expect(snis).toContain('\\027[31mred\\027]0;pwned\\007');
    expect(snis).toContain('a\\226\\128\\174b'); // RLO kept as its three UTF-8 bytes
    expect(snis).toContain('a\\255\\254\\192\\128b'); // not UTF-8: every byte kept
    expect(snis).toContain('a\\092x1b[31m'); // a literal backslash cannot forge an escape
    const huge = snis.find((s) => s.startsWith('\\027\\027'));
    expect(huge).toBe('\\027'.repeat(15_000)); // 60 KB of text, whole in the machine format
    expect(recs.some((r) => r.type === 'flow' && r.alpn?.includes('a\\000b'))).toBe(true);
    expect(recs.filter((r) => r.type === 'dns').map((r) => r.qname)).toContain('a\\000b.example');
  });

  test('JSON, SARIF and audit.json parse; JUnit is legal XML 1.0', () => {
    for (const f of ['json', 'audit.sarif', 'audit.json']) expect(() => JSON.parse(outputs[f])).not.toThrow();
    expect(outputs['junit.xml']).not.toMatch(XML_ILLEGAL);
  });

  test('the table cuts the 60 KB name to a cell and HTML carries no tag from the capture', () => {
    for (const line of outputs.table.split('\n')) expect(line.length).toBeLessThan(400);
    expect(outputs['report.html']).not.toMatch(/<img|<script/i);
  });
});

describe('defence in depth: raw hostile text injected into records', () => {
  const raw = [...HOSTILE_PIECES.map(([, b]) => Buffer.from(b).toString('utf8')), '\u202egnp.exe', 'a\u200bb\u200c\u200d\ufeffc', 'line\u2028sep\u2029x\u0085y', '<script>alert(1)</script>', '\x1b'.repeat(64 * 1024)];

  function flow(id: number, name: string): FlowRecord {
    return {
      type: 'flow', id, proto: 'tcp', direction: 'egress', device_ip: DEVICE, device_port: 40000 + id, remote_ip: '203.0.113.1', remote_port: 443,
      first_ts: 1000 + id, last_ts: 1001 + id, packets_out: 1, packets_in: 1, bytes_out: 100, bytes_in: 100, app: 'tls', sni: name, alpn: [name],
      http_host: name, dns_names: [name], name, name_source: 'sni', names: [{ name, source: 'sni' }], anomalies: [], unnamed_reason: null,
      tunnel_depth: 0, syn_seen: true, initiator_by: 'syn', verdict: 'undeclared', rule: null, reasons: ['name-not-documented'], explanation: `${name} is not documented`,
    } as FlowRecord;
  }
  const flows = raw.map((n, i) => flow(i + 1, n));
  const dns: DnsRecord[] = raw.map((n, i) => ({
    type: 'dns', ts: 2000 + i, proto: 'udp', app: 'dns', client_ip: DEVICE, client_port: 5000 + i, server_ip: '192.0.2.53', server_port: 53,
    id: i, qname: n, qtype: 'A', rcode: 'NOERROR', answers: [{ name: n, type: 'CNAME', data: n, ttl: 60 }], flow_id: i + 1,
    verdict: 'undeclared', reasons: ['name-not-documented'], explanation: n,
  } as DnsRecord));
  const summary = {
    type: 'summary', packets: 1, bytes: 1, flows: flows.length, dns_queries: dns.length, device_ips: [DEVICE + '\x1b[2J'], device_source: 'flag',
    anomalies: {}, inputs: [{ file: 'x\x1b[2J.pcap', format: 'pcap', link_types: ['RAW'], packets: 1, bytes: 1 }], non_flow: {},
    errors: [{ code: 'EA_CAPTURE_TRUNCATED', message: 'cut\x1b[2J', file: 'x\x1b.pcap', offset: 1 }], first_ts: 1000, last_ts: 3000,
    evicted: { flows: 0, dns_cache: 0 },
  } as unknown as SummaryRecord;

  test('terminal table and summary text', () => {
    const agg = new DestinationAggregator();
    for (const f of flows) agg.add(f);
    expectNoDangerous('table', renderDestinationTable(agg, true));
    expectNoDangerous('summary', renderSummaryText(summary));
  });

  test('terminalSafe shows zero-width characters, the BOM and a literal backslash unambiguously', () => {
    expect(terminalSafe('a\u200bb\u200c\u200d\ufeffc')).toBe('a\\u200bb\\u200c\\u200d\\ufeffc');
    expect(terminalSafe('line\u2028sep\u2029x')).toBe('line\\u2028sep\\u2029x');
    // Without escaping "\" a name could spell "\x1b" and look exactly like an escaped ESC.
    expect(terminalSafe('a\\x1b')).toBe('a\\\\x1b');
    expect(terminalSafe('a\x1b')).toBe('a\\x1b');
  });

  test('NDJSON: one line per record whatever the text (U+2028, U+2029 and NEL escaped too)', () => {
    for (const r of [...flows, ...dns, summary]) {
      const line = renderNdjsonLine(r);
      expect(line.indexOf('\n')).toBe(line.length - 1);
      expect(line).not.toMatch(/[\r\u2028\u2029\u0085]/);
      expect(JSON.parse(line)).toEqual(r);
    }
  });

  test('HTML, Markdown and JUnit XML show every character visibly; SARIF and CSV stay well-formed', () => {
    const report = buildRunReport({ records: { flows, dns }, summary }, { inputs: [], version: 'test' });
    expectNoDangerous('html', renderHtml(report));
    expectNoDangerous('markdown', renderMarkdown(report));
    const junit = renderJunit(report);
    expect(junit).not.toMatch(XML_ILLEGAL);
    expectNoDangerous('junit', junit);
    expect(() => JSON.parse(renderSarif(report))).not.toThrow();
    for (const csv of [renderFindingsCsv(report), renderFlowsCsv(report)]) {
      expectNoDangerous('csv', csv);
    }
  });
});
