/**
 * Broken capture files at the CLI level (issue 6 §2): wrong magic, empty, cut inside a header,
 * caplen larger than snaplen or near 2^31, a pcapng block length that lies, unknown block types,
 * a second section in the other byte order, an interface id out of range. Each gives one clear
 * error line naming the file and byte offset, results for what could be read, exit status 2
 * where data was lost (0 where nothing was), and no allocation driven by a length field before
 * it is checked (a 2 GiB caplen is refused in milliseconds without growing the heap).
 *
 * Every file built here is also kept in test/fuzz/corpus/ (see writeBrokenCorpus) so the fuzz
 * regression run replays it through the pipeline's canary checks.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { run } from '../../src/main';
import { PcapngWriter } from '../../src/capture/pcapng-writer';
import { LINKTYPE_RAW, T0, pcapBytes, tempDir, udpPacket } from '../helpers/packets';

const DEV = '192.168.1.10';
const pkt = (i: number): Uint8Array => udpPacket(DEV, '198.51.100.1', 40000 + i, 9999, new Uint8Array(8 + i));
/** A good pcap of `n` UDP packets (each its own flow). */
const goodPcap = (n: number): Uint8Array => pcapBytes(Array.from({ length: n }, (_, i) => ({ ts: T0 + i * 1000, data: pkt(i) })));
const u32le = (b: Uint8Array, at: number, v: number): void => { new DataView(b.buffer, b.byteOffset).setUint32(at, v >>> 0, true); };
/** Offset of record `i` in goodPcap output (24-byte header, 16-byte record headers). */
const recordOffset = (i: number): number => { let o = 24; for (let k = 0; k < i; k++) o += 16 + pkt(k).length; return o; };

// Created at load time: test.each needs the files while the suite is being collected.
const tmp = tempDir('broken');
afterAll(() => tmp.cleanup());

function pcapng(build: (w: PcapngWriter) => void, name: string): string {
  const file = path.join(tmp.dir, name);
  const w = new PcapngWriter(file);
  build(w);
  w.close();
  return file;
}

/** Builds every broken file; name → [path, expected exit, expected code (null: no error), flows that must still be read]. */
function brokenFiles(): Array<[string, string, 0 | 2, string | null, number]> {
  const out: Array<[string, string, 0 | 2, string | null, number]> = [];
  out.push(['wrong magic (text)', tmp.write('notes.pcap', 'this is not a capture\n'), 2, 'EA_CAPTURE_NOT_A_CAPTURE', 0]);
  out.push(['empty', tmp.write('empty.pcap', new Uint8Array(0)), 2, 'EA_CAPTURE_EMPTY', 0]);
  out.push(['cut inside the file header', tmp.write('cut-header.pcap', goodPcap(1).slice(0, 10)), 2, 'EA_CAPTURE_TRUNCATED', 0]);
  out.push(['cut inside a record header', tmp.write('cut-record.pcap', goodPcap(3).slice(0, recordOffset(2) + 7)), 2, 'EA_CAPTURE_TRUNCATED', 2]);
  const snap = goodPcap(2);
  u32le(snap, 16, 20); // snaplen 20, records carry more
  out.push(['caplen larger than snaplen (kept, warned)', tmp.write('caplen-over-snaplen.pcap', snap), 0, 'EA_CAPTURE_CAPLEN', 2]);
  const huge = goodPcap(3);
  u32le(huge, recordOffset(2) + 8, 0x7ffffff0);
  out.push(['caplen near 2^31', tmp.write('caplen-2g.pcap', huge), 2, 'EA_CAPTURE_CAPLEN', 2]);
  const lying = pcapng((w) => { w.addInterface(LINKTYPE_RAW, 0); w.writePacket(0, T0, pkt(0)); w.writePacket(0, T0 + 1, pkt(1)); }, 'lying-block.pcapng');
  const lb = new Uint8Array(fs.readFileSync(lying));
  u32le(lb, lb.length - 4, 4096); // the last block's trailing length disagrees with its leading one
  fs.writeFileSync(lying, lb);
  out.push(['pcapng block length that lies', lying, 2, 'EA_CAPTURE_BAD_BLOCK', 1]);
  const hugeBlock = pcapng((w) => { w.addInterface(LINKTYPE_RAW, 0); w.writePacket(0, T0, pkt(0)); w.writePacket(0, T0 + 1, pkt(1)); }, 'huge-block.pcapng');
  const hb = new Uint8Array(fs.readFileSync(hugeBlock));
  const lastEpb = hb.length - (32 + ((pkt(1).length + 3) & ~3));
  u32le(hb, lastEpb + 4, 0x7ffffff0);
  fs.writeFileSync(hugeBlock, hb);
  out.push(['pcapng packet block claiming 2 GiB', hugeBlock, 2, 'EA_CAPTURE_BAD_BLOCK', 1]);
  out.push(['unknown block types (skipped)', pcapng((w) => {
    w.addInterface(LINKTYPE_RAW, 0); w.writeBlock(0x0badf00d, new Uint8Array(40)); w.writePacket(0, T0, pkt(0)); w.writeBlock(0x40000bad, new Uint8Array(4)); w.writePacket(0, T0 + 1, pkt(1));
  }, 'unknown-blocks.pcapng'), 0, null, 2]);
  out.push(['a second section in the other byte order', pcapng((w) => {
    w.addInterface(LINKTYPE_RAW, 0); w.writePacket(0, T0, pkt(0));
    w.startSection({ littleEndian: false }); w.addInterface(LINKTYPE_RAW, 0); w.writePacket(0, T0 + 1, pkt(1));
  }, 'two-sections.pcapng'), 0, null, 2]);
  // gzip: a whole .pcap.gz reads like the pcap; one cut short keeps the records inflated before the cut.
  const gz = zlib.gzipSync(goodPcap(400), { level: 1 });
  out.push(['a whole .pcap.gz', tmp.write('good.pcap.gz', gz), 0, null, 400]);
  out.push(['a .pcap.gz cut short', tmp.write('cut.pcap.gz', gz.subarray(0, gz.length >> 1)), 2, 'EA_CAPTURE_READ', -1]);
  out.push(['gzip header, then bytes that are not deflate', tmp.write('corrupt.pcap.gz', Buffer.concat([gz.subarray(0, 10), Buffer.from('not deflate at all')])), 2, 'EA_CAPTURE_READ', 0]);
  out.push(['interface id out of range', pcapng((w) => {
    w.addInterface(LINKTYPE_RAW, 0); w.writePacket(0, T0, pkt(0)); w.writePacket(7, T0 + 1, pkt(1)); w.writePacket(0, T0 + 2, pkt(2));
  }, 'bad-interface.pcapng'), 2, 'EA_CAPTURE_INTERFACE_ID', 2]);
  return out;
}

/** Copies every broken file into the fuzz regression corpus (run with EA_WRITE_FUZZ_CORPUS=1). */
function writeBrokenCorpus(files: Array<[string, string, 0 | 2, string | null, number]>): void {
  if (process.env.EA_WRITE_FUZZ_CORPUS !== '1') return;
  const { saveCrasher } = require('../fuzz/seeds') as typeof import('../fuzz/seeds');
  for (const [, file] of files) saveCrasher(new Uint8Array(fs.readFileSync(file)));
}

async function replay(file: string): Promise<{ code: number; stderr: string; records: Array<Record<string, unknown>>; ms: number }> {
  const out = path.join(tmp.dir, `${path.basename(file)}.${Math.random().toString(36).slice(2)}.ndjson`);
  let stderr = '';
  const t0 = performance.now();
  const code = await run(['replay', file, '--format', 'ndjson', '-o', out], { stderr: (t) => { stderr += t; } });
  const ms = performance.now() - t0;
  const text = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
  return { code, stderr, ms, records: text.split('\n').filter((l) => l).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('broken captures at the CLI', () => {
  const files = brokenFiles();
  writeBrokenCorpus(files);

  test.each(files)('%s', async (_what, file, exit, code, flows) => {
    const r = await replay(file);
    expect(r.code).toBe(exit);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('egress-audit:'));
    if (code === null) {
      expect(lines).toEqual([]);
    } else {
      // One clear line: the code, the file, and (past the start) the byte offset.
      expect(lines.length).toBe(1);
      expect(lines[0]).toContain(code);
      expect(lines[0]).toContain(path.basename(file));
      const summary = r.records.find((x) => x.type === 'summary') as { errors: Array<{ offset: number }> } | undefined;
      const offset = summary?.errors?.[0]?.offset ?? 0;
      if (offset > 0) expect(lines[0]).toContain(`byte offset ${offset}`);
      expect(r.stderr).not.toMatch(/^\s+at .+:\d+/m); // no stack trace
    }
    // Results for what could be read (a file refused outright writes none).
    if (code !== 'EA_CAPTURE_NOT_A_CAPTURE' && code !== 'EA_CAPTURE_EMPTY') {
      const got = r.records.filter((x) => x.type === 'flow').length;
      // -1: cut inside compressed data, where the cut's record depends on the compressor: some of the 400, not all.
      if (flows < 0) expect([got > 100, got < 400]).toEqual([true, true]);
      else expect(got).toBe(flows);
      expect(r.records[r.records.length - 1].type).toBe('summary');
    }
  });

  test('a 2 GiB caplen or block length is refused before any allocation it would drive', async () => {
    const big = files.filter(([what]) => /2\^31|2 GiB/.test(what));
    expect(big.length).toBe(2);
    for (const [, file] of big) {
      const before = process.memoryUsage();
      const r = await replay(file);
      const after = process.memoryUsage();
      expect(r.ms).toBeLessThan(2000);
      expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * 1024 * 1024);
      expect(after.rss - before.rss).toBeLessThan(256 * 1024 * 1024);
    }
  });
});
