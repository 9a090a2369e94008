/**
 * EvidenceWriter (live --write): size rotation and its file names, refusal to overwrite, and
 * files that the pcapng reader replays packet for packet (with the closing statistics block).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EvidenceWriter, checkEvidenceTargetFor } from '../../../src/capture/evidence-writer';
import { openCapture } from '../../../src/capture/open-capture';
import { LINKTYPE_ETHERNET, newFrame } from '../../../src/capture/source';
import { AnomalyCounters } from '../../../src/anomalies';

/** Every directory tmp() made, removed after the file's tests (some tests leave theirs). */
const made: string[] = [];
afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-evidence-'));
  made.push(d);
  return d;
}

function readAll(file: string): { ts: number; len: number; first: number }[] {
  const src = openCapture(file, new AnomalyCounters());
  const f = newFrame();
  const out: { ts: number; len: number; first: number }[] = [];
  while (src.next(f)) out.push({ ts: f.tsMicros, len: f.wireLength, first: f.buf[f.offset] });
  src.close();
  expect(src.issues).toEqual([]);
  return out;
}

test('file names: base first, then .1, .2 before the extension (or appended without one)', () => {
  expect(EvidenceWriter.fileName('/x/capture.pcapng', 0)).toBe('/x/capture.pcapng');
  expect(EvidenceWriter.fileName('/x/capture.pcapng', 2)).toBe('/x/capture.2.pcapng');
  expect(EvidenceWriter.fileName('/x/capture', 1)).toBe('/x/capture.1');
});

test('rotates by size and every file replays on its own, in order, with no packet lost', () => {
  const dir = tmp();
  const w = new EvidenceWriter(path.join(dir, 'cap.pcapng'), { linkType: LINKTYPE_ETHERNET, snaplen: 65535, maxBytes: 1000 });
  for (let i = 0; i < 30; i++) w.write(1_700_000_000_000_000 + i, new Uint8Array(100).fill(i), 100 + i);
  w.close({ received: 31, dropped: 1 });
  expect(w.files.length).toBeGreaterThanOrEqual(3);
  const all = w.files.flatMap(readAll);
  expect(all.map((p) => p.first)).toEqual([...Array(30).keys()]);
  expect(all.map((p) => p.len)).toEqual([...Array(30).keys()].map((i) => 100 + i));
  for (const f of w.files) expect(fs.statSync(f).size).toBeLessThanOrEqual(1000 + 200);
  fs.rmSync(dir, { recursive: true });
});

/** The blocks of a little-endian pcapng file: type, and for an ISB its isb_ifrecv and isb_ifdrop. */
function blocks(file: string): { type: number; recv?: bigint; drop?: bigint }[] {
  const b = fs.readFileSync(file);
  const out: { type: number; recv?: bigint; drop?: bigint }[] = [];
  for (let off = 0; off + 12 <= b.length;) {
    const type = b.readUInt32LE(off);
    const len = b.readUInt32LE(off + 4);
    const block: { type: number; recv?: bigint; drop?: bigint } = { type };
    if (type === 5) {
      // ISB: interface id, timestamp (12 bytes), then options (code, length, value).
      for (let o = off + 20; o + 4 <= off + len - 4;) {
        const code = b.readUInt16LE(o);
        const olen = b.readUInt16LE(o + 2);
        if (code === 4) block.recv = b.readBigUInt64LE(o + 4);
        if (code === 5) block.drop = b.readBigUInt64LE(o + 4);
        if (code === 0) break;
        o += 4 + ((olen + 3) & ~3);
      }
    }
    out.push(block);
    off += len;
  }
  return out;
}

test('every file, rotated ones included, ends with a statistics block: the counters at its rotation, the final ones last', () => {
  const dir = tmp();
  let received = 0;
  const w = new EvidenceWriter(path.join(dir, 'cap.pcapng'), { linkType: LINKTYPE_ETHERNET, snaplen: 65535, maxBytes: 1000, counters: () => ({ received, dropped: 2 }) });
  for (let i = 0; i < 30; i++) {
    received = i + 1;
    w.write(1_700_000_000_000_000 + i, new Uint8Array(100).fill(i), 100);
  }
  w.close({ received: 40, dropped: 3 });
  expect(w.files.length).toBeGreaterThanOrEqual(3);
  const ends = w.files.map((f) => blocks(f).at(-1)!);
  expect(ends.every((e) => e.type === 5)).toBe(true);
  // A file rotates before the packet that would cross the limit: its counters are those of the packets before that one.
  const packetsBefore = w.files.map((f) => blocks(f).filter((x) => x.type === 6).length).map((n, i, all) => all.slice(0, i + 1).reduce((a, c) => a + c, 0));
  expect(ends.slice(0, -1).map((e) => [e.recv, e.drop])).toEqual(packetsBefore.slice(0, -1).map((n) => [BigInt(n + 1), 2n]));
  expect([ends.at(-1)!.recv, ends.at(-1)!.drop]).toEqual([40n, 3n]);
  fs.rmSync(dir, { recursive: true });
});

test('refuses to overwrite evidence unless forced', () => {
  const dir = tmp();
  const file = path.join(dir, 'cap.pcapng');
  fs.writeFileSync(file, 'old');
  expect(() => new EvidenceWriter(file, { linkType: LINKTYPE_ETHERNET, snaplen: 65535 })).toThrow(/already exists/);
  expect(fs.readFileSync(file, 'utf8')).toBe('old');
  new EvidenceWriter(file, { linkType: LINKTYPE_ETHERNET, snaplen: 65535, maxBytes: 1 << 20, force: true }).close();
  expect(readAll(file)).toEqual([]);
  fs.rmSync(dir, { recursive: true });
});

test('every file says where it came from: the interface, the capture filter and the writing application, as tshark reads them', () => {
  const dir = tmp();
  const w = new EvidenceWriter(path.join(dir, 'cap.pcapng'), {
    linkType: LINKTYPE_ETHERNET, snaplen: 65535, maxBytes: 1000, iface: 'eth0', filter: 'not port 22', application: 'egress-audit 9.9.9',
  });
  for (let i = 0; i < 12; i++) w.write(1_700_000_000_000_000 + i, new Uint8Array(100).fill(i), 100);
  w.close({ received: 12, dropped: 0 });
  expect(w.files.length).toBeGreaterThanOrEqual(2);
  for (const f of w.files) {
    expect(readAll(f).length).toBeGreaterThan(0);
    const b = fs.readFileSync(f);
    // SHB with shb_userappl (4); then the IDB's if_name (2) right after its fixed part, then if_filter (11) with its libpcap-string byte.
    const shbLen = b.readUInt32LE(4);
    expect(b.readUInt16LE(24)).toBe(4);
    expect(b.subarray(28, 28 + b.readUInt16LE(26)).toString()).toBe('egress-audit 9.9.9');
    const idb = shbLen;
    expect(b.readUInt32LE(idb)).toBe(1);
    expect(b.readUInt16LE(idb + 16)).toBe(2);
    expect(b.subarray(idb + 20, idb + 20 + b.readUInt16LE(idb + 18)).toString()).toBe('eth0');
    const filterAt = b.indexOf(Buffer.from('not port 22'));
    expect(filterAt).toBeGreaterThan(idb);
    expect(b[filterAt - 1]).toBe(0);
    expect(b.readUInt16LE(filterAt - 5)).toBe(11);
  }
  // No file passes the limit by more than the packet that started it.
  for (const f of w.files) expect(fs.statSync(f).size).toBeLessThanOrEqual(1000 + 200);
  fs.rmSync(dir, { recursive: true });
});

test('a write that fails part-way (a full disk) leaves the file cut back to its last whole block, readable, and says so', () => {
  const dir = tmp();
  const file = path.join(dir, 'full.pcapng');
  const w = new EvidenceWriter(file, { linkType: LINKTYPE_ETHERNET, snaplen: 65535 });
  for (let i = 0; i < 5; i++) w.write(1_700_000_000_000_000 + i, new Uint8Array(200).fill(i), 200);
  w.flush();
  const whole = fs.statSync(file).size;
  for (let i = 5; i < 10; i++) w.write(1_700_000_000_000_000 + i, new Uint8Array(200).fill(i), 200);
  // The disk fills after 300 more bytes: the write stops in the middle of a block.
  // The module object itself (the namespace import's properties cannot be redefined).
  const fsModule = require('fs') as typeof fs;
  const real = fsModule.writeSync;
  let left = 300;
  const spy = jest.spyOn(fsModule, 'writeSync').mockImplementation(((fd: number, buf: Uint8Array, off?: number, len?: number) => {
    if (left <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const n = Math.min(left, len ?? buf.length);
    left -= n;
    return real(fd, buf, off, n);
  }) as typeof fs.writeSync);
  try {
    expect(() => w.flush()).toThrow(/ENOSPC/);
  } finally {
    spy.mockRestore();
  }
  w.close();
  expect(fs.statSync(file).size).toBe(whole);
  expect(readAll(file).map((p) => p.first)).toEqual([0, 1, 2, 3, 4]);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a rotated file an earlier run left is refused before anything is written (it would stop the evidence at the first rotation); --force replaces it', () => {
  const dir = tmp();
  const left = path.join(dir, 'cap.2.pcapng');
  fs.writeFileSync(left, 'earlier run');
  const base = path.join(dir, 'cap.pcapng');
  expect(() => new EvidenceWriter(base, { linkType: LINKTYPE_ETHERNET, snaplen: 65535 })).toThrow(expect.objectContaining({
    code: 'EA_CAPTURE_FAILED',
    message: `--write: ${left} already exists (a rotated file of an earlier run; the files of this run would stop there)`,
    hint: expect.stringContaining('--force'),
  }) as unknown as Error);
  expect(fs.existsSync(base)).toBe(false);
  expect(EvidenceWriter.rotatedFiles(base)).toEqual([left]);
  expect(EvidenceWriter.rotatedFiles(path.join(dir, 'other.pcapng'))).toEqual([]);
  const w = new EvidenceWriter(base, { linkType: LINKTYPE_ETHERNET, snaplen: 65535, force: true });
  w.close();
  expect(fs.existsSync(base)).toBe(true);
});

test('--force replaces the earlier run\'s evidence whole: its rotations this run does not reach are removed, not left to read as this run\'s tail', () => {
  const dir = tmp();
  const base = path.join(dir, 'cap.pcapng');
  for (const n of [1, 2, 7]) fs.writeFileSync(path.join(dir, `cap.${n}.pcapng`), 'earlier run');
  fs.writeFileSync(path.join(dir, 'cap.notes.pcapng'), 'not a rotation');
  const w = new EvidenceWriter(base, { linkType: LINKTYPE_ETHERNET, snaplen: 65535, force: true });
  w.close();
  expect(EvidenceWriter.rotatedFiles(base)).toEqual([]);
  expect(fs.readdirSync(dir).sort()).toEqual(['cap.notes.pcapng', 'cap.pcapng']);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('--user with --write: a directory the account cannot write, or a rotated file it cannot replace (--force), is refused up front with EA_CAPTURE_WRITE', () => {
  const nobody = { uid: 65534, gid: 65534, name: 'nobody' };
  const closed = tmp();
  fs.chmodSync(closed, 0o755); // the test runner's own directory
  expect(() => checkEvidenceTargetFor(path.join(closed, 'cap.pcapng'), nobody, false)).toThrow(expect.objectContaining({
    code: 'EA_CAPTURE_WRITE',
    message: expect.stringContaining(`${closed} is not writable (or not reachable) by nobody, which the run switches to (--user)`),
    hint: `give nobody a directory it can write (e.g. chown nobody ${closed}), or choose another --write path`,
  }) as unknown as Error);
  expect(fs.readdirSync(closed)).toEqual([]);

  const open = tmp();
  fs.chmodSync(open, 0o1777); // like /tmp
  expect(() => checkEvidenceTargetFor(path.join(open, 'cap.pcapng'), nobody, false)).not.toThrow();
  fs.writeFileSync(path.join(open, 'cap.1.pcapng'), 'earlier run', { mode: 0o644 });
  expect(() => checkEvidenceTargetFor(path.join(open, 'cap.pcapng'), nobody, true)).toThrow(/cap\.1\.pcapng exists and nobody, which the run switches to \(--user\), cannot replace it/);
  fs.chmodSync(path.join(open, 'cap.1.pcapng'), 0o666);
  expect(() => checkEvidenceTargetFor(path.join(open, 'cap.pcapng'), nobody, true)).not.toThrow();
  // A directory the account owns, inside one it cannot search (mkdtemp's 0700): out of its reach.
  const outer = tmp();
  const inner = path.join(outer, 'inner');
  fs.mkdirSync(inner, { mode: 0o777 });
  fs.chmodSync(inner, 0o777);
  expect(() => checkEvidenceTargetFor(path.join(inner, 'cap.pcapng'), nobody, false)).toThrow(/not reachable\) by nobody/);
  fs.chmodSync(outer, 0o711);
  expect(() => checkEvidenceTargetFor(path.join(inner, 'cap.pcapng'), nobody, false)).not.toThrow();
  // root keeps every right: nothing to check.
  expect(() => checkEvidenceTargetFor(path.join(closed, 'cap.pcapng'), { uid: 0, gid: 0, name: 'root' }, true)).not.toThrow();
});
