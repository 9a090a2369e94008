/**
 * Several captures in one run are merged by packet time (mergecap's order): simultaneous
 * captures on two interfaces interleave (a DNS answer seen on one names the connection seen on
 * the other), rotated files give what the whole file gives in any argument order, and the merge
 * holds open only the files whose time has come.
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { run } from '../../src/main';
import { readMerged } from '../../src/capture/merged-inputs';
import { AnomalyCounters } from '../../src/anomalies';
import { runAudit } from '../../src/audit';
import { OutputFile } from '../../src/report/output';
import * as zlib from 'zlib';
import { DNS_A, T0, TimedPacket, dnsMessage, pcapBytes, tcpPacket, tempDir, udpPacket } from '../helpers/packets';

const tmp = tempDir('several');
afterAll(() => tmp.cleanup());

const DEV = '192.0.2.10';
const RESOLVER = '192.0.2.1';
const SERVER = '203.0.113.80';
const SYN = 0x02;
const ACK = 0x10;

async function replay(...files: string[]): Promise<{ code: number; records: Array<Record<string, unknown>>; stderr: string }> {
  const out = path.join(tmp.dir, `out-${Math.random().toString(36).slice(2)}.ndjson`);
  let stderr = '';
  const code = await run(['replay', ...files, '--format', 'ndjson', '--device', DEV, '-o', out], { stderr: (t) => { stderr += t; } });
  const text = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
  return { code, stderr, records: text.split('\n').filter((l) => l).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** A lookup of `name` (answered with SERVER) at `t`, then a TCP connection to SERVER:8883 at `t` + 50 ms. */
function lookupThenConnect(t: number, port: number, name: string): { dns: TimedPacket[]; tcp: TimedPacket[] } {
  const q = dnsMessage(0x4000 + port, false, name, DNS_A);
  const r = dnsMessage(0x4000 + port, true, name, DNS_A, [{ name, type: DNS_A, ttl: 300, data: SERVER }]);
  return {
    dns: [
      { ts: t, data: udpPacket(DEV, RESOLVER, port, 53, q) },
      { ts: t + 10_000, data: udpPacket(RESOLVER, DEV, 53, port, r) },
    ],
    tcp: [
      { ts: t + 50_000, data: tcpPacket({ src: DEV, dst: SERVER, sport: port, dport: 8883, flags: SYN, seq: 1 }) },
      { ts: t + 60_000, data: tcpPacket({ src: SERVER, dst: DEV, sport: 8883, dport: port, flags: SYN | ACK, seq: 9, ack: 2 }) },
    ],
  };
}

const flows = (records: Array<Record<string, unknown>>): Array<Record<string, unknown>> => records.filter((r) => r.type === 'flow');
const withoutSummary = (records: Array<Record<string, unknown>>): Array<Record<string, unknown>> => records.filter((r) => r.type !== 'summary');

describe('several inputs are merged by packet time', () => {
  test('captures of two interfaces at once: the DNS answer on one names the connection on the other, whichever file comes first', async () => {
    const a = lookupThenConnect(T0, 40001, 'telemetry.example.com');
    const wifi = tmp.write('wifi.pcap', pcapBytes(a.dns)); // the lookup went out on Wi-Fi
    const wired = tmp.write('wired.pcap', pcapBytes(a.tcp)); // the connection on the wire
    for (const order of [[wired, wifi], [wifi, wired]]) {
      const r = await replay(...order);
      expect(r.code).toBe(0);
      const tcp = flows(r.records).find((f) => f.proto === 'tcp')!;
      expect([tcp.name, tcp.name_source]).toEqual(['telemetry.example.com', 'dns-answer']);
      const summary = r.records[r.records.length - 1] as { inputs: Array<{ file: string; packets: number }> };
      // The summary lists the inputs in command-line order.
      expect(summary.inputs.map((i) => [path.basename(i.file), i.packets])).toEqual(order.map((f) => [path.basename(f), 2]));
    }
  });

  test('rotated files in any argument order give exactly what the whole capture gives', async () => {
    const packets: TimedPacket[] = [];
    for (let i = 0; i < 30; i++) {
      const s = lookupThenConnect(T0 + i * 1_000_000, 41000 + i, `host${i}.example.com`);
      packets.push(...s.dns, ...s.tcp);
    }
    const whole = tmp.write('whole.pcap', pcapBytes(packets));
    const parts = [0, 40, 80].map((from, k) => tmp.write(`part${k}.pcap`, pcapBytes(packets.slice(from, from + 40))));
    const want = withoutSummary((await replay(whole)).records);
    expect(flows(want).length).toBe(60);
    expect(withoutSummary((await replay(...parts)).records)).toEqual(want);
    expect(withoutSummary((await replay(parts[2], parts[0], parts[1])).records)).toEqual(want);
  });

  test('a file that cannot be opened is reported in its place; the others are still read', async () => {
    const s = lookupThenConnect(T0, 40002, 'a.example.com');
    const good1 = tmp.write('good1.pcap', pcapBytes(s.dns));
    const good2 = tmp.write('good2.pcap', pcapBytes(s.tcp));
    const r = await replay(good1, path.join(tmp.dir, 'missing.pcap'), good2);
    expect(r.code).toBe(2);
    const summary = r.records[r.records.length - 1] as { inputs: Array<{ file: string }>; errors: Array<{ code: string; file: string }> };
    expect(summary.inputs.map((i) => path.basename(i.file))).toEqual(['good1.pcap', 'good2.pcap']);
    expect(summary.errors.map((e) => [e.code, path.basename(e.file)])).toEqual([['EA_CAPTURE_NOT_FOUND', 'missing.pcap']]);
    expect(flows(r.records).find((f) => f.proto === 'tcp')!.name).toBe('a.example.com');
  });

  test('equal timestamps across files go in command-line order', () => {
    const p = (port: number): TimedPacket => ({ ts: T0, data: udpPacket(DEV, SERVER, port, 9999, new Uint8Array(4)) });
    const x = tmp.write('tie-x.pcap', pcapBytes([p(1), p(2)]));
    const y = tmp.write('tie-y.pcap', pcapBytes([p(3)]));
    const seen: number[] = [];
    readMerged([y, x], new AnomalyCounters(), (f) => seen.push(f.buf[f.offset + 21]), () => true, 4096);
    expect(seen).toEqual([3, 1, 2]);
  });

  test('200 rotated files: never more than two open at once, every packet read in time order', () => {
    const files: string[] = [];
    for (let i = 0; i < 200; i++) {
      files.push(tmp.write(`rot-${String(i).padStart(3, '0')}.pcap`, pcapBytes([0, 1, 2].map((k) => ({ ts: T0 + (i * 3 + k) * 1000, data: udpPacket(DEV, SERVER, 40000 + i, 9999, new Uint8Array(4)) })))));
    }
    const fdsBefore = fs.readdirSync('/proc/self/fd').length;
    let maxFds = 0;
    let last = -1;
    let inOrder = true;
    const outcomes = readMerged([...files].reverse(), new AnomalyCounters(), (f) => {
      if (f.tsMicros < last) inOrder = false;
      last = f.tsMicros;
      maxFds = Math.max(maxFds, fs.readdirSync('/proc/self/fd').length - fdsBefore);
    }, () => true, 4096);
    expect(outcomes.reduce((n, o) => n + o.info!.packets, 0)).toBe(600);
    expect(inOrder).toBe(true);
    expect(maxFds).toBeLessThanOrEqual(2);
    expect(fs.readdirSync('/proc/self/fd').length).toBe(fdsBefore);
  });

  test('standard input merges with a file (the launcher and the CLI, as a user runs them)', () => {
    const s = lookupThenConnect(T0, 40003, 'stdin.example.com');
    const dns = tmp.write('stdin-dns.pcap', pcapBytes(s.dns));
    const tcp = tmp.write('stdin-tcp.pcap', pcapBytes(s.tcp));
    const launcher = path.resolve(__dirname, '../../bin/egress-audit.js');
    const r = spawnSync(process.execPath, [launcher, 'replay', tcp, '-', '--format', 'ndjson', '--device', DEV], { input: fs.readFileSync(dns) });
    expect(r.status).toBe(0);
    const recs = String(r.stdout).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(flows(recs).find((f) => f.proto === 'tcp')!.name_source).toBe('dns-answer');
  });

  test('progress counts file bytes: a compressed input advances by its compressed size, ending at the sum of the file sizes', () => {
    const packets: TimedPacket[] = [];
    // 10,000 packets a file: progress is reported every 4,096 packets.
    for (let i = 0; i < 20_000; i++) packets.push({ ts: T0 + i * 1000, data: udpPacket(DEV, SERVER, 40000 + (i % 50), 9999, Uint8Array.of(i & 0xff, i >> 8)) });
    const plain = tmp.write('progress-plain.pcap', pcapBytes(packets.slice(0, 10_000)));
    const gz = tmp.write('progress.pcap.gz', zlib.gzipSync(pcapBytes(packets.slice(10_000))));
    for (const inputs of [[gz], [plain, gz]]) {
      const seen: number[] = [];
      const out = OutputFile.open(path.join(tmp.dir, `progress-${inputs.length}.ndjson`), true);
      runAudit({ inputs, format: 'ndjson', pipeline: { devices: [] }, onProgress: (p) => seen.push(p.bytes) }, out);
      out.commit();
      const want = inputs.reduce((n, f) => n + fs.statSync(f).size, 0);
      expect(seen.length).toBeGreaterThan(1);
      expect(seen.every((b, i) => b <= want && (i === 0 || b >= seen[i - 1]))).toBe(true);
      expect(seen[seen.length - 1]).toBe(want);
    }
  });
});
