/**
 * EvidenceWriter (live --write): size rotation and its file names, refusal to overwrite, and
 * files that the pcapng reader replays packet for packet (with the closing statistics block).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EvidenceWriter } from '../../../src/capture/evidence-writer';
import { openCapture } from '../../../src/capture/open-capture';
import { LINKTYPE_ETHERNET, newFrame } from '../../../src/capture/source';
import { AnomalyCounters } from '../../../src/anomalies';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ea-evidence-'));
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
  const w = new EvidenceWriter(path.join(dir, 'cap.pcapng'), LINKTYPE_ETHERNET, 65535, 1000);
  for (let i = 0; i < 30; i++) w.write(1_700_000_000_000_000 + i, new Uint8Array(100).fill(i), 100 + i);
  w.close({ received: 31, dropped: 1 });
  expect(w.files.length).toBeGreaterThanOrEqual(3);
  const all = w.files.flatMap(readAll);
  expect(all.map((p) => p.first)).toEqual([...Array(30).keys()]);
  expect(all.map((p) => p.len)).toEqual([...Array(30).keys()].map((i) => 100 + i));
  for (const f of w.files) expect(fs.statSync(f).size).toBeLessThanOrEqual(1000 + 200);
  fs.rmSync(dir, { recursive: true });
});

test('refuses to overwrite evidence unless forced', () => {
  const dir = tmp();
  const file = path.join(dir, 'cap.pcapng');
  fs.writeFileSync(file, 'old');
  expect(() => new EvidenceWriter(file, LINKTYPE_ETHERNET, 65535)).toThrow(/already exists/);
  expect(fs.readFileSync(file, 'utf8')).toBe('old');
  new EvidenceWriter(file, LINKTYPE_ETHERNET, 65535, 1 << 20, true).close();
  expect(readAll(file)).toEqual([]);
  fs.rmSync(dir, { recursive: true });
});
