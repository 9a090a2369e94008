/**
 * openCapture: magic sniffing, the errors it throws (codes, one-line lowercase messages, hints),
 * and standard input through a real child process (pipes, slow writers, redirected files).
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { CaptureError, EgressAuditError } from '../../../src/errors';
import { openCapture } from '../../../src/capture/open-capture';
import { PcapWriter } from '../../../src/capture/pcap-writer';
import { PcapngWriter } from '../../../src/capture/pcapng-writer';
import { LINKTYPE_ETHERNET } from '../../../src/capture/source';
import { makeTempDir, packetBytes, pcapHeader, readAll } from './capture-test-helpers';

const tmp = makeTempDir('open');
afterAll(() => tmp.cleanup());

const REPO = path.resolve(__dirname, '../../..');
const T0 = 1_700_000_000_000_000;

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
    ['gzip', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), 'gzip'],
    ['two bytes', Buffer.from([0xd4, 0xc3]), '2 bytes'],
    ['pcapng type, bad byte-order magic', Buffer.from([0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4]), 'byte-order magic'],
    ['modified pcap (Kuznetzov) magic', Buffer.from([0x34, 0xcd, 0xb2, 0xa1, 2, 0, 4, 0]), '34 cd b2 a1'],
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
  const sources = ['src/anomalies.ts', 'src/errors.ts', 'src/capture/source.ts', 'src/capture/open-capture.ts', 'src/capture/pcap-file.ts', 'src/capture/pcapng-file.ts'];
  for (const rel of sources) {
    const js = ts.transpileModule(fs.readFileSync(path.join(REPO, rel), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const dest = path.join(out, rel.replace(/\.ts$/, '.js'));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, js);
  }
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
