/**
 * openCapture: magic sniffing, the errors it throws (codes, one-line lowercase messages, hints),
 * and standard input through a real child process (pipes, slow writers, redirected files).
 */
import { spawn, spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import * as zlib from 'zlib';
import fc from 'fast-check';
import { CaptureError, EgressAuditError } from '../../../src/errors';
import { FEED_BYTES, GunzipStream, MAX_DEFLATE_RATIO, ZSTD_MAX_BLOCK, ZSTD_MAX_STEP_OUTPUT, ZstdStream } from '../../../src/capture/compressed-input';
import { openCapture } from '../../../src/capture/open-capture';
import { PcapWriter } from '../../../src/capture/pcap-writer';
import { PcapngWriter } from '../../../src/capture/pcapng-writer';
import { LINKTYPE_ETHERNET, newFrame } from '../../../src/capture/source';
import { makeTempDir, packetBytes, pcapHeader, readAll } from './capture-test-helpers';

const tmp = makeTempDir('open');
afterAll(() => tmp.cleanup());

const REPO = path.resolve(__dirname, '../../..');
const T0 = 1_700_000_000_000_000;

/** Writes `bytes` to `file` and expects openCapture to refuse it with `code` and a message containing `detail`. */
function expectOpenError(file: string, bytes: Uint8Array, code: string, detail: string): void {
  fs.writeFileSync(file, bytes);
  const e = captureError(() => openCapture(file));
  expect(e.code).toBe(code);
  expect(e.message).toContain(detail);
}

function captureError(fn: () => unknown): CaptureError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CaptureError);
    expect(err).toBeInstanceOf(EgressAuditError);
    const e = err as CaptureError;
    expect(e.message).toMatch(/^[a-z/<]/); // lowercase start (or a path)
    expect(e.message).not.toContain('\n');
    return e;
  }
  throw new Error('expected a CaptureError');
}

describe('openCapture picks the reader by magic number', () => {
  test('pcap (both byte orders) and pcapng', () => {
    const a = tmp.file('a.pcap');
    const w = new PcapWriter(a, { linkType: LINKTYPE_ETHERNET, littleEndian: false });
    w.writePacket(T0, packetBytes(0, 10));
    w.close();
    const b = tmp.file('b.pcapng');
    const n = new PcapngWriter(b, { littleEndian: false });
    n.writePacket(n.addInterface(LINKTYPE_ETHERNET, 0), T0, packetBytes(0, 10));
    n.close();
    expect(readAll(a).info.format).toBe('pcap');
    expect(readAll(b).info.format).toBe('pcapng');
  });

  test('the file name decides nothing: a pcapng named .pcap is still pcapng', () => {
    const f = tmp.file('really-ng.pcap');
    new PcapngWriter(f).close();
    expect(readAll(f).info.format).toBe('pcapng');
  });
});

describe('openCapture errors', () => {
  test('missing file → EA_CAPTURE_NOT_FOUND', () => {
    const e = captureError(() => openCapture(tmp.file('nope.pcap')));
    expect(e.code).toBe('EA_CAPTURE_NOT_FOUND');
    expect(e.hint).toBeTruthy();
  });

  test('empty file → EA_CAPTURE_EMPTY', () => {
    const f = tmp.file('empty.pcap');
    fs.writeFileSync(f, '');
    const e = captureError(() => openCapture(f));
    expect(e.code).toBe('EA_CAPTURE_EMPTY');
    expect(e.message).toContain('empty');
  });

  test.each([
    ['text', Buffer.from('hello, this is not a capture\n'), 'looks like text'],
    // gzip with compression method 7 (only 8, deflate, exists): not a gzip this tool inflates.
    ['gzip, unknown method', Buffer.from([0x1f, 0x8b, 7, 0, 0, 0, 0, 0, 0, 3]), 'gzip with a method other than deflate'],
    ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0, 0, 4]), 'xz: decompress it first'],
    ['two bytes', Buffer.from([0xd4, 0xc3]), '2 bytes'],
    ['pcapng type, bad byte-order magic', Buffer.from([0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4]), 'byte-order magic'],
    // Navtel's pcap magic (0xa12b3c4d): libpcap reads no such file, and neither do we.
    ['Navtel pcap magic', Buffer.from([0x4d, 0x3c, 0x2b, 0xa1, 2, 0, 4, 0]), '4d 3c 2b a1'],
  ])('wrong magic (%s) → EA_CAPTURE_NOT_A_CAPTURE', (name, bytes, detail) => {
    const f = tmp.file(`bad-${name}.bin`);
    fs.writeFileSync(f, bytes);
    const e = captureError(() => openCapture(f));
    expect(e.code).toBe('EA_CAPTURE_NOT_A_CAPTURE');
    expect(e.message).toContain(detail);
    expect(e.hint).toBe('is it a pcap or pcapng file? convert other formats with editcap');
  });

  test('a directory → EA_CAPTURE_NOT_A_CAPTURE', () => {
    expect(captureError(() => openCapture(tmp.dir)).code).toMatch(/EA_CAPTURE_(NOT_A_CAPTURE|READ)/);
  });

  test('a pcap magic with a cut file header is an issue, not an error', () => {
    const f = tmp.file('short-header.pcap');
    fs.writeFileSync(f, pcapHeader().build().subarray(0, 10));
    const r = readAll(f);
    expect(r.packets).toEqual([]);
    expect(r.issues.map((i) => [i.code, i.offset])).toEqual([['EA_CAPTURE_TRUNCATED', 0]]);
  });

  test('opening and closing many captures leaks no descriptors', () => {
    const f = tmp.file('fd.pcap');
    fs.writeFileSync(f, pcapHeader().build());
    const before = fs.readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 200; i++) openCapture(f).close();
    for (let i = 0; i < 50; i++) expect(() => openCapture(tmp.file('nope'))).toThrow();
    expect(fs.readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(before + 1);
  });
});

/** Transpiles the reader's modules to plain JS in a temp dir so a child `node` can load them. */
function buildChildScript(): string {
  const out = tmp.file('child');
  const sources = ['src/anomalies.ts', 'src/errors.ts', 'src/capture/source.ts', 'src/capture/open-capture.ts', 'src/capture/pcap-file.ts', 'src/capture/pcapng-file.ts',
    'src/capture/compressed-input.ts'];
  for (const rel of sources) {
    const js = ts.transpileModule(fs.readFileSync(path.join(REPO, rel), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const dest = path.join(out, rel.replace(/\.ts$/, '.js'));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, js);
  }
  // The transpiled modules require the repository's packages (fflate for gzip input).
  if (!fs.existsSync(path.join(out, 'node_modules'))) fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(out, 'node_modules'));
  const script = path.join(out, 'read-stdin.js');
  fs.writeFileSync(
    script,
    `const { openCapture } = require('./src/capture/open-capture.js');
const { newFrame } = require('./src/capture/source.js');
// Touching process.stdin makes libuv switch a pipe on fd 0 to non-blocking: readSync then sees EAGAIN.
if (process.env.EA_TOUCH_STDIN) process.stdin.pause();
try {
  const src = openCapture('-');
  const f = newFrame();
  let n = 0, sum = 0, ts = 0;
  while (src.next(f)) { n++; ts += f.tsMicros % 1000003; for (let i = 0; i < f.capturedLength; i += 97) sum = (sum + f.buf[f.offset + i]) % 1000000007; }
  const info = src.info();
  src.close();
  process.stdout.write(JSON.stringify({ n, sum, ts, info, issues: src.issues }));
} catch (e) {
  process.stdout.write(JSON.stringify({ error: e.code, message: e.message }));
}
`,
  );
  return script;
}

describe('standard input', () => {
  let script = '';
  let big = '';
  let expected: { n: number; sum: number; ts: number } = { n: 0, sum: 0, ts: 0 };
  beforeAll(() => {
    script = buildChildScript();
    // ~3 MB: several read windows and many pipe-buffer refills.
    big = tmp.file('stdin.pcap');
    const w = new PcapWriter(big, { linkType: LINKTYPE_ETHERNET, nanos: true });
    for (let i = 0; i < 3000; i++) w.writePacket(T0 + i * 13, packetBytes(i, (i * 389) % 1600));
    w.close();
    const r = readAll(big);
    let sum = 0;
    let tsSum = 0;
    for (const p of r.packets) {
      tsSum += p.tsMicros % 1000003;
      for (let i = 0; i < p.data.length; i += 97) sum = (sum + p.data[i]) % 1000000007;
    }
    expected = { n: r.packets.length, sum, ts: tsSum };
  });

  function parse(stdout: string | Buffer): Record<string, unknown> {
    return JSON.parse(String(stdout));
  }

  test('a pipe from the parent process', () => {
    const res = spawnSync(process.execPath, [script], { input: fs.readFileSync(big), maxBuffer: 1 << 20 });
    const out = parse(res.stdout);
    expect(out).toMatchObject({ ...expected, issues: [], info: { file: '<stdin>', format: 'pcap', packets: expected.n, bytes: fs.statSync(big).size } });
  });

  test('a shell pipeline (cat file | node)', () => {
    const res = spawnSync('sh', ['-c', `cat '${big}' | '${process.execPath}' '${script}'`]);
    expect(parse(res.stdout)).toMatchObject({ ...expected, issues: [] });
  });

  test('a non-blocking stdin pipe that is empty at first (readSync throws EAGAIN)', () => {
    const cmd = `(sleep 0.2; head -c 5000 '${big}'; sleep 0.1; tail -c +5001 '${big}') | '${process.execPath}' '${script}'`;
    const res = spawnSync('sh', ['-c', cmd], { env: { ...process.env, EA_TOUCH_STDIN: '1' } });
    expect(parse(res.stdout)).toMatchObject({ ...expected, issues: [] });
  });

  test('stdin redirected from a file', () => {
    const fd = fs.openSync(big, 'r');
    try {
      const res = spawnSync(process.execPath, [script], { stdio: [fd, 'pipe', 'pipe'] });
      expect(parse(res.stdout)).toMatchObject({ ...expected, issues: [] });
    } finally {
      fs.closeSync(fd);
    }
  });

  test('a slow writer with pauses mid-record (EAGAIN or blocking reads both wait)', async () => {
    const bytes = fs.readFileSync(big);
    const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    const done = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Odd slice sizes so pauses land inside headers and bodies.
    for (let off = 0, i = 0; off < bytes.length; i++) {
      const n = i < 20 ? 7 + i * 3 : 400_000;
      await new Promise<void>((resolve) => child.stdin.write(bytes.subarray(off, off + n), () => resolve()));
      off += n;
      if (i < 20 || i % 2 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    child.stdin.end();
    expect(await done).toBe(0);
    expect(parse(stdout)).toMatchObject({ ...expected, issues: [] });
  });

  test('a pipe cut mid-record: whole records, then one truncation issue', () => {
    const bytes = fs.readFileSync(big);
    const res = spawnSync(process.execPath, [script], { input: bytes.subarray(0, bytes.length - 5) });
    const out = parse(res.stdout) as { n: number; issues: { code: string }[] };
    expect(out.n).toBe(expected.n - 1);
    expect(out.issues.map((i) => i.code)).toEqual(['EA_CAPTURE_TRUNCATED']);
  });

  test('empty stdin and not-a-capture stdin are errors', () => {
    expect(parse(spawnSync(process.execPath, [script], { input: '' }).stdout)).toMatchObject({ error: 'EA_CAPTURE_EMPTY' });
    expect(parse(spawnSync(process.execPath, [script], { input: 'GET / HTTP/1.1\r\n' }).stdout)).toMatchObject({ error: 'EA_CAPTURE_NOT_A_CAPTURE' });
  });

  test('pcapng over a pipe, including a skipped block bigger than the read window', () => {
    const f = tmp.file('stdin.pcapng');
    const w = new PcapngWriter(f);
    w.addInterface(LINKTYPE_ETHERNET, 0);
    w.writePacket(0, T0, packetBytes(0, 100));
    w.writeBlock(0xbad, new Uint8Array(3 * 1024 * 1024));
    w.writePacket(0, T0 + 1, packetBytes(1, 100));
    w.close();
    const out = parse(spawnSync(process.execPath, [script], { input: fs.readFileSync(f) }).stdout);
    expect(out).toMatchObject({ n: 2, issues: [], info: { format: 'pcapng', bytes: fs.statSync(f).size } });
  });
});

describe('gzip-compressed captures are inflated while read (as tshark reads .pcap.gz)', () => {
  /** Each packet as its time, lengths and a digest of its bytes (deep-comparing a megabyte of numbers is slow). */
  const digests = (file: string): string[] => readAll(file).packets.map((p) =>
    `${p.tsMicros}/${p.wireLength}/${p.data.length}/${createHash('sha1').update(Uint8Array.from(p.data)).digest('hex')}`);
  let plain = '';
  beforeAll(() => {
    plain = tmp.file('gz-plain.pcap');
    const w = new PcapWriter(plain, { linkType: LINKTYPE_ETHERNET });
    // ~1.3 MB: more than one read window of inflated bytes.
    for (let i = 0; i < 1000; i++) w.writePacket(T0 + i * 7, packetBytes(i, 1200 + ((i * 211) % 300)));
    w.close();
  });

  test('a .pcap.gz yields the same packets as the pcap, and says it was compressed', () => {
    const gz = tmp.file('a.pcap.gz');
    fs.writeFileSync(gz, zlib.gzipSync(fs.readFileSync(plain)));
    const want = readAll(plain);
    const got = readAll(gz);
    expect(got.packets.length).toBe(1000);
    expect(digests(gz)).toEqual(digests(plain));
    expect(got.issues).toEqual([]);
    // `bytes` counts the capture; `compressedBytes` the file itself, all of it by the end.
    expect(got.info).toEqual({ ...want.info, file: gz, compression: 'gzip', compressedBytes: fs.statSync(gz).size });
    expect(want.info.compression).toBeUndefined();
  });

  test('pcapng inside gzip, and concatenated gzip members (cat a.gz b.gz) read as one stream', () => {
    const ng = tmp.file('gz.pcapng');
    const w = new PcapngWriter(ng);
    w.addInterface(LINKTYPE_ETHERNET, 0);
    for (let i = 0; i < 300; i++) w.writePacket(0, T0 + i, packetBytes(i, 200));
    w.close();
    const bytes = fs.readFileSync(ng);
    const gz = tmp.file('members.pcapng.gz');
    fs.writeFileSync(gz, Buffer.concat([zlib.gzipSync(bytes.subarray(0, 10_001)), zlib.gzipSync(bytes.subarray(10_001))]));
    const got = readAll(gz);
    expect(got.packets).toEqual(readAll(ng).packets);
    expect(got.info).toMatchObject({ format: 'pcapng', compression: 'gzip', packets: 300 });
  });

  test('a .gz cut short: every whole record before the cut, then one read issue', () => {
    const full = zlib.gzipSync(fs.readFileSync(plain), { level: 1 });
    const gz = tmp.file('cut.pcap.gz');
    fs.writeFileSync(gz, full.subarray(0, Math.floor(full.length / 2)));
    const got = readAll(gz);
    expect(got.packets.length).toBeGreaterThan(200);
    expect(got.packets.length).toBeLessThan(1000);
    expect(digests(gz)).toEqual(digests(plain).slice(0, got.packets.length));
    expect(got.issues.map((i) => [i.code, i.message])).toEqual([['EA_CAPTURE_READ', 'read failed: gzip: the compressed data ends early (cut short)']]);
  });

  test('zeros after the last member (a tape or dd conv=sync block) end the stream cleanly, as gzip(1) takes them; anything else after them is an error', () => {
    const gz = zlib.gzipSync(fs.readFileSync(plain));
    const want = digests(plain);
    // Padding of every size that matters: under the 4 bytes fflate leaves unread, exactly 4, a
    // 512-byte block, and 100 kB that crosses several read steps.
    for (const pad of [3, 4, 512, 100_000]) {
      const file = tmp.file(`padded-${pad}.pcap.gz`);
      fs.writeFileSync(file, Buffer.concat([gz, Buffer.alloc(pad)]));
      const got = readAll(file);
      expect([pad, got.issues]).toEqual([pad, []]);
      expect(digests(file)).toEqual(want);
    }
    const dirty = tmp.file('padded-then-garbage.pcap.gz');
    fs.writeFileSync(dirty, Buffer.concat([gz, Buffer.alloc(40_000), Buffer.from('x')]));
    const got = readAll(dirty);
    expect(digests(dirty)).toEqual(want);
    expect(got.issues.map((i) => [i.code, i.message])).toEqual([['EA_CAPTURE_READ', 'read failed: gzip: invalid gzip data (trailing garbage after zero padding)']]);
    const garbage = tmp.file('garbage-after-member.pcap.gz');
    fs.writeFileSync(garbage, Buffer.concat([gz, Buffer.from('trailing garbage')]));
    expect(readAll(garbage).issues.map((i) => i.message)).toEqual(['read failed: gzip: invalid gzip data']);
  });

  test('zero runs inside a member (stored blocks of zeros end many read steps) are data, not padding', () => {
    // Level 0 stores the bytes as they are: a capture whose packets are mostly zeros puts runs
    // of zeros at the ends of the compressed read steps, inside the member.
    const zeros = tmp.file('zeros.pcap');
    const w = new PcapWriter(zeros, { linkType: LINKTYPE_ETHERNET });
    for (let i = 0; i < 200; i++) w.writePacket(T0 + i, new Uint8Array(1500 + i));
    w.close();
    const stored = tmp.file('zeros.pcap.gz');
    fs.writeFileSync(stored, Buffer.concat([zlib.gzipSync(fs.readFileSync(zeros), { level: 0 }), Buffer.alloc(1000)]));
    const got = readAll(stored);
    expect(got.issues).toEqual([]);
    expect(digests(stored)).toEqual(digests(zeros));
  });

  test('corrupt deflate data right after the gzip header → EA_CAPTURE_READ, one line', () => {
    const gz = tmp.file('corrupt.gz');
    fs.writeFileSync(gz, Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), Buffer.from('garbage, not deflate')]));
    const e = captureError(() => openCapture(gz));
    expect(e.code).toBe('EA_CAPTURE_READ');
    expect(e.message).toContain('gzip: invalid');
  });

  test.each([
    ['text inside gzip', zlib.gzipSync('hello, not a capture\n'), 'once decompressed from gzip (looks like text)'],
    ['a capture gzipped twice', zlib.gzipSync(zlib.gzipSync(Buffer.alloc(64))), 'gzip again: compressed twice'],
  ])('%s → EA_CAPTURE_NOT_A_CAPTURE naming what was decompressed', (name, bytes, detail) => {
    expectOpenError(tmp.file(`not-${name.replace(/ /g, '-')}.gz`), bytes, 'EA_CAPTURE_NOT_A_CAPTURE', detail);
  });

  test('a gzip of nothing → EA_CAPTURE_EMPTY', () => {
    const gz = tmp.file('empty.pcap.gz');
    fs.writeFileSync(gz, zlib.gzipSync(Buffer.alloc(0)));
    expect(captureError(() => openCapture(gz)).code).toBe('EA_CAPTURE_EMPTY');
  });

  test('mutated and cut gzip streams: a capture, a coded error or a read issue, never a throw or a hang', () => {
    expectMutantsHandled(zlib.gzipSync(fs.readFileSync(path.join(REPO, 'captures/tunnels-and-encapsulations.pcap'))), tmp.file('mutant.pcap.gz'), 20261123);
  });

  test('a compression bomb (64 MiB of zeros in ~64 KiB) is inflated one step at a time, never all at once', () => {
    const gz = tmp.file('bomb.gz');
    fs.writeFileSync(gz, zlib.gzipSync(Buffer.alloc(64 << 20), { level: 9 }));
    expect(fs.statSync(gz).size).toBeLessThan(128 * 1024);
    const { total, peak, error } = drain(gz, (fd) => new GunzipStream(fd, null));
    expect([total, error]).toEqual([64 << 20, null]);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(FEED_BYTES * MAX_DEFLATE_RATIO);
  });
});

describe('gzip over standard input', () => {
  test('cat capture.pcap.gz | egress-audit replay - reads the inflated capture', () => {
    const script = buildChildScript();
    const f = tmp.file('stdin-gz.pcap');
    const w = new PcapWriter(f, { linkType: LINKTYPE_ETHERNET });
    for (let i = 0; i < 1500; i++) w.writePacket(T0 + i, packetBytes(i, 900));
    w.close();
    const res = spawnSync(process.execPath, [script], { input: zlib.gzipSync(fs.readFileSync(f)), maxBuffer: 1 << 20 });
    expect(JSON.parse(String(res.stdout))).toMatchObject({ n: 1500, issues: [], info: { file: '<stdin>', format: 'pcap', compression: 'gzip', bytes: fs.statSync(f).size } });
  });
});

describe('zstd-compressed captures are decompressed while read, a block at a time', () => {
  const plain = path.join(REPO, 'captures/nanosecond-tls.pcap');
  const fixture = path.join(REPO, 'test/fixtures/zstd/nanosecond-tls.pcap.zst');
  const digests = (file: string): string[] => readAll(file).packets.map((p) =>
    `${p.tsMicros}/${p.wireLength}/${createHash('sha1').update(Uint8Array.from(p.data)).digest('hex')}`);
  const le = (v: number, n: number): number[] => Array.from({ length: n }, (_, i) => Math.floor(v / 2 ** (8 * i)) & 0xff);
  const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
  /** A frame header: descriptor (no checksum, no dictionary, no content size) and a window descriptor. */
  const frameHeader = (windowDescriptor = 0x58, fhd = 0x00): Buffer => Buffer.from([...MAGIC, fhd, windowDescriptor]);
  /** A raw block (type 0) holding `bytes`; `last` ends the frame. */
  const rawBlock = (bytes: Uint8Array, last: boolean): Buffer => Buffer.concat([Buffer.from(le((bytes.length << 3) | (last ? 1 : 0), 3)), bytes]);
  /** An RLE block (type 1): `size` copies of `byte` from 4 bytes. */
  const rleBlock = (byte: number, size: number, last: boolean): Buffer => Buffer.from([...le((size << 3) | 2 | (last ? 1 : 0), 3), byte]);
  /** A frame of raw blocks of at most `blockBytes` each. */
  const rawFrame = (bytes: Uint8Array, blockBytes = 1000): Buffer => {
    const parts: Buffer[] = [frameHeader()];
    for (let o = 0; o < bytes.length; o += blockBytes) parts.push(rawBlock(bytes.subarray(o, o + blockBytes), o + blockBytes >= bytes.length));
    return Buffer.concat(parts);
  };

  test('a file the zstd tool wrote (compressed blocks, checksum) reads as the plain capture, and says it was compressed', () => {
    expect(digests(fixture)).toEqual(digests(plain));
    expect(readAll(fixture).info).toMatchObject({ format: 'pcap', compression: 'zstd', bytes: fs.statSync(plain).size });
  });

  test('several frames with a skippable frame between them read as one stream', () => {
    const bytes = fs.readFileSync(plain);
    const skippable = Buffer.from([0x5a, 0x2a, 0x4d, 0x18, ...le(5, 4), 1, 2, 3, 4, 5]);
    const f = tmp.file('frames.pcap.zst');
    fs.writeFileSync(f, Buffer.concat([rawFrame(bytes.subarray(0, 3001)), skippable, rawFrame(bytes.subarray(3001), 700)]));
    expect(digests(f)).toEqual(digests(plain));
  });

  test('a frame shorter than 18 bytes (5 bytes of the capture) before a frame with the rest, and frames with checksums', () => {
    const bytes = fs.readFileSync(plain);
    const withChecksum = (frame: Buffer): Buffer => {
      const b = Buffer.from(frame);
      b[4] |= 0x04; // Content_Checksum_flag: 4 bytes after the last block (fzstd does not verify them)
      return Buffer.concat([b, Buffer.from([1, 2, 3, 4])]);
    };
    const f = tmp.file('tiny-frame.pcap.zst');
    fs.writeFileSync(f, Buffer.concat([rawFrame(bytes.subarray(0, 5)), withChecksum(rawFrame(bytes.subarray(5, 9))), withChecksum(rawFrame(bytes.subarray(9)))]));
    expect(rawFrame(bytes.subarray(0, 5)).length).toBeLessThan(18);
    expect(digests(f)).toEqual(digests(plain));
  });

  test('cut short: every whole record before the cut, then one read issue', () => {
    const f = tmp.file('cut.pcap.zst');
    const whole = rawFrame(fs.readFileSync(plain));
    fs.writeFileSync(f, whole.subarray(0, whole.length - 2500));
    const got = readAll(f);
    expect(got.packets.length).toBeGreaterThan(0);
    expect(digests(f)).toEqual(digests(plain).slice(0, got.packets.length));
    expect(got.issues.map((i) => [i.code, i.message])).toEqual([['EA_CAPTURE_READ', 'read failed: zstd: the compressed data ends early (cut short)']]);
  });

  test.each<[string, Buffer, string]>([
    // Window descriptor 0xf8: exponent 31 → a 2 TiB window; the reference decoder refuses anything over 128 MiB by default.
    ['a window of 2 TiB', Buffer.concat([frameHeader(0xf8), rawBlock(Buffer.from('x'), true)]), 'zstd: a window of 2097152 MiB, over the 128 MiB zstd itself accepts by default at compressed byte 0'],
    // Single-segment frame whose 8-byte content size claims 2^40 bytes: that is its window.
    ['a single-segment frame claiming 1 TiB of content', Buffer.from([...MAGIC, 0xe0, ...le(2 ** 40, 8), ...rawBlock(Buffer.from('x'), true)]), 'over the 128 MiB'],
    ['a frame that needs a dictionary', Buffer.from([...MAGIC, 0x01, 0x58, 7, ...rawBlock(Buffer.from('x'), true)]), 'needs dictionary 7'],
    ['a reserved block type', Buffer.concat([frameHeader(), Buffer.from([0x07, 0, 0])]), 'reserved type'],
    ['a block over 128 KiB', Buffer.concat([frameHeader(), Buffer.from(le(((ZSTD_MAX_BLOCK + 1) << 3) | 1, 3))]), 'over the 128 KiB maximum'],
    ['a reserved header bit', Buffer.from([...MAGIC, 0x08, 0x58]), 'reserved bit'],
  ])('%s → EA_CAPTURE_READ before anything is allocated from it', (name, bytes, message) => {
    expectOpenError(tmp.file(`bad-${name.replace(/\W+/g, '-')}.zst`), bytes, 'EA_CAPTURE_READ', message);
  });

  test('an RLE bomb (64 MiB from 2 KB) is decompressed a block at a time (three at a frame\'s start), never all at once', () => {
    const f = tmp.file('bomb.zst');
    const blocks = Array.from({ length: 512 }, (_, i) => rleBlock(0, ZSTD_MAX_BLOCK, i === 511));
    fs.writeFileSync(f, Buffer.concat([frameHeader(0x58), ...blocks]));
    expect(fs.statSync(f).size).toBeLessThan(4096);
    const { total, peak, error } = drain(f, (fd) => new ZstdStream(fd, null));
    expect([total, error]).toEqual([512 * ZSTD_MAX_BLOCK, null]);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(ZSTD_MAX_STEP_OUTPUT);
  });

  test('mutated and cut zstd files: a capture, a coded error or a read issue, never a throw or a hang', () => {
    expectMutantsHandled(fs.readFileSync(fixture), tmp.file('mutant.pcap.zst'), 20261124);
  });

  test('zstd over standard input', () => {
    const script = buildChildScript();
    const res = spawnSync(process.execPath, [script], { input: fs.readFileSync(fixture), maxBuffer: 1 << 20 });
    expect(JSON.parse(String(res.stdout))).toMatchObject({ issues: [], info: { file: '<stdin>', format: 'pcap', compression: 'zstd', bytes: fs.statSync(plain).size } });
  });
});

/**
 * Mutates `base` (up to 8 byte edits, sometimes cut short) 300 times into `file` and reads each
 * mutant through openCapture: it must open as a capture and end within a bound, or be refused
 * with a coded error; never a throw of anything else, never a hang.
 */
function expectMutantsHandled(base: Buffer, file: string, seed: number): void {
  const frame = newFrame();
  fc.assert(fc.property(
    fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
    fc.option(fc.nat({ max: base.length }), { nil: undefined }),
    (edits, cut) => {
      const b = Buffer.from(base);
      for (const [at, v] of edits) b[at] = v;
      fs.writeFileSync(file, b.subarray(0, cut ?? b.length));
      let src;
      try {
        src = openCapture(file);
      } catch (err) {
        expect((err as CaptureError).code).toMatch(/^EA_CAPTURE_/);
        return;
      }
      let n = 0;
      while (src.next(frame) && n < 100_000) n++;
      src.close();
      expect(n).toBeLessThan(100_000);
    },
  ), { numRuns: 300, seed });
}

/** Reads a decompressor over `file` to its end in 1 MiB reads: bytes, the most it held queued at once, its error. */
function drain(file: string, open: (fd: number) => GunzipStream | ZstdStream): { total: number; peak: number; error: string | null } {
  const fd = fs.openSync(file, 'r');
  try {
    const stream = open(fd);
    const buf = new Uint8Array(1 << 20);
    let total = 0;
    for (let reads = 0; reads < 1000; reads++) {
      const n = stream.read(buf, 0, buf.length);
      if (n <= 0) break;
      total += n;
    }
    return { total, peak: stream.peakBuffered, error: stream.error };
  } finally {
    fs.closeSync(fd);
  }
}
