/**
 * Property tests: any corruption of a valid pcap or pcapng yields a clean end (packets plus
 * issues), never an exception (openCapture may refuse a broken magic with a CaptureError), never
 * a frame outside its buffer, and never more packets than the bytes could hold.
 */
import * as fs from 'fs';
import fc from 'fast-check';
import { AnomalyCounters } from '../../../src/anomalies';
import { openCapture } from '../../../src/capture/open-capture';
import { PcapWriter } from '../../../src/capture/pcap-writer';
import { PcapngWriter } from '../../../src/capture/pcapng-writer';
import { LINKTYPE_ETHERNET, LINKTYPE_RAW, newFrame } from '../../../src/capture/source';
import { CaptureError } from '../../../src/errors';
import { makeTempDir, packetBytes } from './capture-test-helpers';

const tmp = makeTempDir('fuzz');
afterAll(() => tmp.cleanup());

function seedFiles(): Buffer[] {
  const a = tmp.file('seed.pcap');
  const w = new PcapWriter(a, { linkType: LINKTYPE_ETHERNET, nanos: true, littleEndian: false });
  for (let i = 0; i < 6; i++) w.writePacket(1e15 + i, packetBytes(i, i * 11));
  w.close();
  const b = tmp.file('seed.pcapng');
  const n = new PcapngWriter(b);
  n.addInterface(LINKTYPE_ETHERNET, 100, { tsresol: 9 });
  n.addInterface(LINKTYPE_RAW, 0);
  n.writePacket(0, 1e15, packetBytes(0, 30));
  n.writeSimplePacket(packetBytes(1, 20), 200);
  n.writeBlock(0xbad, packetBytes(2, 9));
  n.writeObsoletePacket(1, 1e15, packetBytes(3, 5));
  n.startSection({ littleEndian: false });
  n.addInterface(LINKTYPE_RAW, 0);
  n.writePacket(0, 1e15, packetBytes(4, 7));
  n.close();
  return [fs.readFileSync(a), fs.readFileSync(b)];
}

describe('corrupted captures never throw', () => {
  const seeds = seedFiles();
  let counter = 0;

  test.each([0, 1])('seed %i with random byte edits and cuts', (seedIndex) => {
    const seed = seeds[seedIndex];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(seed.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(seed.length),
        (edits, cut) => {
          const bytes = Buffer.from(seed);
          for (const [at, v] of edits) bytes[at] = v;
          const file = tmp.file(`f${counter++}.bin`);
          fs.writeFileSync(file, bytes.subarray(0, Math.max(cut, 1)));
          let src;
          try {
            src = openCapture(file, new AnomalyCounters());
          } catch (err) {
            expect(err).toBeInstanceOf(CaptureError);
            return;
          }
          const frame = newFrame();
          let n = 0;
          while (src.next(frame)) {
            n++;
            expect(frame.offset + frame.capturedLength).toBeLessThanOrEqual(frame.buf.length);
            expect(frame.wireLength).toBeGreaterThanOrEqual(frame.capturedLength);
            expect(n).toBeLessThanOrEqual(bytes.length / 12);
          }
          expect(src.issues.filter((i) => i.dataLost).length).toBeLessThanOrEqual(3);
          src.close();
          fs.unlinkSync(file);
        },
      ),
      { numRuns: 400, seed: 42 },
    );
  });
});
