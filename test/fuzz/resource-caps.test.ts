/**
 * Resource caps under floods (issue 6 §3), small enough for CI: the flow table (--max-flows), the
 * DNS cache (--max-dns-cache) and the stream heads (StreamHeadBudget) stay at their bounds under
 * floods of distinct 5-tuples built by test/bench/make-flood.ts, with least-recently-used
 * eviction, and the summary counts what was evicted. The 2-million-flow runs with peak RSS are
 * in test/bench/flood-bench.ts (not part of `npm test`).
 */
import * as fs from 'fs';
import * as path from 'path';
import { run } from '../../src/main';
import { StreamHead, StreamHeadBudget, STREAM_HEAD_BYTES } from '../../src/flow/stream-head';
import { makeFlood } from '../bench/make-flood';
import { tempDir } from '../helpers/packets';

const tmp = tempDir('caps');
afterAll(() => tmp.cleanup());

async function summaryOf(args: string[]): Promise<{ code: number; summary: { flows: number; evicted: { flows: number; dns_cache: number }; anomalies: Record<string, number> } }> {
  const out = path.join(tmp.dir, `out-${Math.random().toString(36).slice(2)}.ndjson`);
  const code = await run([...args, '--format', 'ndjson', '-o', out], { stderr: () => undefined });
  const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
  return { code, summary: JSON.parse(lines[lines.length - 1]) };
}

test('SYN flood / port scan of 20,000 distinct 5-tuples with --max-flows 1000: every flow reported, 19,000 evicted', async () => {
  const { file } = makeFlood('syn', 20_000, path.join(tmp.dir, 'syn.pcap'));
  const { code, summary } = await summaryOf(['replay', file, '--max-flows', '1000']);
  expect(code).toBe(0);
  expect(summary.flows).toBe(20_000);
  expect(summary.evicted.flows).toBe(19_000);
});

test('DNS answers for 5,000 clients with --max-dns-cache 100: the cache stays at 100, the rest counted as evicted', async () => {
  const { file } = makeFlood('dns', 5000, path.join(tmp.dir, 'dns.pcap'));
  const { summary } = await summaryOf(['replay', file, '--max-dns-cache', '100']);
  expect(summary.evicted.dns_cache).toBe(4900);
});

test('a bad --max-dns-cache is a usage error', async () => {
  const code = await run(['replay', 'x.pcap', '--max-dns-cache', 'lots'], { stderr: () => undefined });
  expect(code).toBe(2);
});

test('flows that each leave one byte waiting 16,000 bytes ahead: each head holds that byte, not a 16 KiB buffer', async () => {
  // 5,000 far-seq flows once held 80 MB of heads (a buffer sized by the gap) and made the budget shed.
  const { file } = makeFlood('far-seq', 5000, path.join(tmp.dir, 'far.pcap'));
  const before = process.memoryUsage().arrayBuffers;
  const { summary } = await summaryOf(['replay', file]);
  expect(summary.flows).toBe(5000);
  expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
  expect(summary.anomalies['stream.head_overflow']).toBeUndefined(); // nothing had to be shed
});

test('flows that each leave 16,000 bytes of a ClientHello waiting: heads stay under the budget and every shed head is counted', async () => {
  // 5,000 × 16 KiB = 80 MB of heads against the default 64 MB budget.
  const { file } = makeFlood('big-head', 5000, path.join(tmp.dir, 'big.pcap'));
  const before = process.memoryUsage().arrayBuffers;
  const { summary } = await summaryOf(['replay', file]);
  expect(summary.flows).toBe(5000);
  expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(96 * 2 ** 20);
  // Shed heads are counted when their flow sends again or ends; ~1,000 must go.
  expect(summary.anomalies['stream.head_overflow']).toBeGreaterThan(500);
  fs.rmSync(file);
});

test.each([
  ['an SMTP EHLO that never reaches STARTTLS (a head waiting for the upgrade)', 'starttls-wait'],
  ['a keep-alive second request head that never completes (a later-request head)', 'http-tail'],
  ['the first fragment of a DTLS ClientHello whose others never come (a DTLS hello held in a head)', 'dtls-partial'],
] as const)('40,000 flows that each leave %s: heads stay under the budget and every shed head is counted', async (_name, kind) => {
  // 40,000 heads of one 2 KiB buffer each: 80 MB against the default 64 MB budget.
  const { file } = makeFlood(kind, 40_000, path.join(tmp.dir, `${kind}.pcap`));
  const before = process.memoryUsage().arrayBuffers;
  const { summary } = await summaryOf(['replay', file]);
  expect(summary.flows).toBe(40_000);
  expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(96 * 2 ** 20);
  expect(summary.anomalies['stream.head_overflow']).toBeGreaterThan(4000);
  fs.rmSync(file);
});

describe('StreamHeadBudget', () => {
  test('sheds the oldest heads first and never holds more than its limit', () => {
    const budget = new StreamHeadBudget(64 * 1024);
    const heads: StreamHead[] = [];
    const data = new Uint8Array(STREAM_HEAD_BYTES);
    for (let i = 0; i < 100; i++) {
      const h = new StreamHead(0, 2048, budget);
      h.add(0, data, 0, STREAM_HEAD_BYTES); // a full 16 KiB head
      heads.push(h);
      expect(budget.usedBytes).toBeLessThanOrEqual(64 * 1024);
    }
    expect(budget.shedHeads).toBe(96);
    expect(heads.slice(0, 96).every((h) => h.shed && h.buf.length === 0)).toBe(true);
    expect(heads.slice(96).every((h) => !h.shed && h.buf.length === STREAM_HEAD_BYTES)).toBe(true);
    // A shed head takes nothing more.
    expect(heads[0].add(0, Uint8Array.of(0x16), 0, 1)).toBe(false);
  });

  test('a head that alone exceeds a tiny budget is not shed while it grows', () => {
    const budget = new StreamHeadBudget(1024);
    const h = new StreamHead(0, 2048, budget);
    expect(h.add(0, new Uint8Array(4000).fill(1), 0, 4000)).toBe(true);
    expect(h.contiguous).toBe(4000);
    expect(h.shed).toBe(false);
  });
});

describe('live capture through tcpdump: no unbounded user-space queue', () => {
  // The tcpdump fallback parses each stdout chunk synchronously (src/capture/live.ts); when the
  // pipeline falls behind, the pipe fills, tcpdump blocks and the kernel drops (and counts). The
  // only user-space buffer is the parser's carry-over, bounded by one record.
   
  const { PcapStreamParser } = require('../../src/capture/pcap-stream') as typeof import('../../src/capture/pcap-stream');
   
  const { MAX_CAPLEN } = require('../../src/capture/source') as typeof import('../../src/capture/source');

  const header = (): Uint8Array => {
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0); h.writeUInt16LE(2, 4); h.writeUInt16LE(4, 6); h.writeUInt32LE(262144, 16); h.writeUInt32LE(101, 20);
    return h;
  };
  const recordHeader = (caplen: number): Uint8Array => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(caplen, 8); r.writeUInt32LE(caplen, 12);
    return r;
  };

  test('a record trickling in byte by byte is carried over once, never more than one record', () => {
    let frames = 0;
    const p = new PcapStreamParser(() => { frames++; });
    p.push(header());
    p.push(recordHeader(MAX_CAPLEN));
    const piece = new Uint8Array(4096);
    for (let sent = 0; sent < MAX_CAPLEN; sent += piece.length) {
      p.push(piece);
      expect(p.pendingBytes).toBeLessThanOrEqual(MAX_CAPLEN + 16);
    }
    expect(frames).toBe(1);
    expect(p.pendingBytes).toBe(0);
  });

  test('a lying caplen fails the stream instead of buffering 2 GiB', () => {
    const p = new PcapStreamParser(() => undefined);
    p.push(header());
    p.push(recordHeader(0x7ffffff0));
    p.push(new Uint8Array(65536));
    expect(p.failure).toMatch(/corrupt/);
    expect(p.pendingBytes).toBeLessThanOrEqual(65536 + 16);
  });
});
