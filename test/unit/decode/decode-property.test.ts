/**
 * Property (fast-check): for any bytes, any link type, any caplen/wire length and any sequence
 * of frames (so reassembly and tunnel state are exercised too), decode() and decodeInner()
 * never throw and never report a payload or inner range outside view.buf.
 */
import fc from 'fast-check';
import {
  LINKTYPE_C_HDLC, LINKTYPE_ETHERNET, LINKTYPE_IEEE802_11_RADIOTAP, LINKTYPE_NFLOG, LINKTYPE_PFLOG, LINKTYPE_RAW,
} from '../../../src/capture/source';
import { FrameDecoder } from '../../../src/decode/decode-frame';
import { SUPPORTED_LINK_TYPES } from '../../../src/decode/link';
import { DecodeStatus, InnerKind, PacketView } from '../../../src/decode/packet-view';
import { concat, ethernet, frag6, ipv4, ipv6, newDecoder, tcp, udp } from './build';

/** Every link type the decoder supports (so a new one is in the random mix without a list to keep up). */
const LINK_TYPES = [...SUPPORTED_LINK_TYPES];

function checkView(v: PacketView, status: DecodeStatus): void {
  expect(status).toBeGreaterThanOrEqual(DecodeStatus.Transport);
  expect(status).toBeLessThanOrEqual(DecodeStatus.Unsupported);
  expect(v.payloadOffset).toBeGreaterThanOrEqual(0);
  expect(v.payloadLength).toBeGreaterThanOrEqual(0);
  expect(v.payloadOffset + v.payloadLength).toBeLessThanOrEqual(v.buf.length);
  if (v.innerKind !== InnerKind.None) {
    expect(v.innerOffset).toBeGreaterThanOrEqual(0);
    expect(v.innerOffset).toBeLessThanOrEqual(v.innerEnd);
    expect(v.innerEnd).toBeLessThanOrEqual(v.buf.length);
  }
}

function decodeAll(dec: FrameDecoder, buf: Uint8Array, off: number, caplen: number, wire: number, linkType: number, ts: number): void {
  let status = dec.decode(buf, off, caplen, wire, linkType, ts);
  checkView(dec.view, status);
  while (status === DecodeStatus.Transport && dec.view.innerKind !== InnerKind.None) {
    status = dec.decodeInner(ts);
    checkView(dec.view, status);
  }
}

/** Valid frames of several kinds: mutating them reaches deep layers far more often than random bytes. */
const SEEDS: Array<[number, Uint8Array]> = [
  [LINKTYPE_ETHERNET, ethernet(0x0800, ipv4({ proto: 6 }, tcp({}, new Uint8Array(20))), [[0x8100, 3]])],
  [LINKTYPE_ETHERNET, ethernet(0x86dd, ipv6({ nextHeader: 0 }, concat(Uint8Array.of(17, 0, 0, 0, 0, 0, 0, 0), udp(1, 4789,
    concat(Uint8Array.of(8, 0, 0, 0, 0, 0, 1, 0), ethernet(0x0800, ipv4({ proto: 17 }, udp(5, 6, new Uint8Array(4)))))))))],
  [LINKTYPE_RAW, ipv4({ proto: 47 }, concat(Uint8Array.of(0x30, 0, 0x08, 0), new Uint8Array(8), ipv4({ proto: 17 }, udp(1, 2, new Uint8Array(3)))))],
  [LINKTYPE_RAW, ipv4({ proto: 51 }, concat(Uint8Array.of(6, 4, 0, 0), new Uint8Array(20), tcp({}, new Uint8Array(8))))],
  [LINKTYPE_RAW, ipv4({ proto: 17, flags: 1, id: 1 }, udp(1, 2, new Uint8Array(16)))],
  [LINKTYPE_RAW, ipv4({ proto: 17, fragOffset: 24, id: 1 }, new Uint8Array(8))],
  [LINKTYPE_RAW, ipv6({ nextHeader: 44 }, concat(frag6(17, 0, true, 9), udp(1, 2, new Uint8Array(8))))],
  [LINKTYPE_NFLOG, concat(Uint8Array.of(2, 0, 0, 0, 44, 0, 9, 0), ipv4({ proto: 6 }, tcp({})))],
  [LINKTYPE_PFLOG, concat(Uint8Array.of(61, 2), new Uint8Array(62), ipv4({ proto: 6 }, tcp({})))],
  [LINKTYPE_C_HDLC, concat(Uint8Array.of(0x0f, 0, 0x88, 0x47, 0, 1, 1, 64), ipv4({ proto: 17 }, udp(1, 2, new Uint8Array(4))))],
  // Radiotap (TSFT, Flags with FCS and data padding, Rate), a QoS data frame, LLC/SNAP, IPv4; and 802.3 with LLC/SNAP.
  [LINKTYPE_IEEE802_11_RADIOTAP, concat(Uint8Array.of(0, 0, 18, 0, 7, 0, 0, 0), new Uint8Array(8), Uint8Array.of(0x30, 2),
    Uint8Array.of(0x88, 0x01, 0, 0), new Uint8Array(18), Uint8Array.of(0x30, 0, 0, 0, 0, 0), Uint8Array.of(0xaa, 0xaa, 3, 0, 0, 0, 8, 0),
    ipv4({ proto: 17 }, udp(1, 2, new Uint8Array(4))), new Uint8Array(4))],
  [LINKTYPE_ETHERNET, ethernet(60, concat(Uint8Array.of(0xaa, 0xaa, 3, 0, 0, 0, 8, 0), ipv4({ proto: 6 }, tcp({}, new Uint8Array(12)))))],
  // MPLS (two labels) and PPPoE carrying MPLS, then IP.
  [LINKTYPE_ETHERNET, ethernet(0x8847, concat(Uint8Array.of(0, 1, 0, 64, 0, 2, 1, 64), ipv4({ proto: 6 }, tcp({}))))],
  [LINKTYPE_ETHERNET, ethernet(0x8864, concat(Uint8Array.of(0x11, 0, 0, 1, 0, 50, 0x02, 0x81, 0, 1, 1, 64), ipv6({ nextHeader: 17 }, udp(1, 2, new Uint8Array(4)))))],
  // PBB carrying a VLAN-tagged customer frame, and NSH (MD type 2) carrying Ethernet, then IP.
  [LINKTYPE_ETHERNET, ethernet(0x88e7, concat(Uint8Array.of(0, 0, 1, 0), new Uint8Array(12), Uint8Array.of(0x81, 0, 0, 9, 8, 0), ipv4({ proto: 6 }, tcp({}))))],
  [LINKTYPE_ETHERNET, ethernet(0x894f, concat(Uint8Array.of(0x0f, 0xc2, 2, 3, 0, 0, 1, 0xff), new Uint8Array(12), Uint8Array.of(0x86, 0xdd), ipv6({ nextHeader: 17 }, udp(1, 2, new Uint8Array(4)))))],
  // ERSPAN III with a platform subheader in GRE, MPLS in GRE, and PPTP (enhanced GRE with PPP).
  [LINKTYPE_RAW, ipv4({ proto: 47 }, concat(Uint8Array.of(0x10, 0, 0x22, 0xeb), new Uint8Array(4), Uint8Array.of(0x20, 0, 0, 7), new Uint8Array(7), Uint8Array.of(1), new Uint8Array(8),
    ethernet(0x0800, ipv4({ proto: 17 }, udp(5, 6, new Uint8Array(4))))))],
  [LINKTYPE_RAW, ipv4({ proto: 47 }, concat(Uint8Array.of(0, 0, 0x88, 0x47, 0, 1, 1, 64), ipv4({ proto: 6 }, tcp({}))))],
  [LINKTYPE_RAW, ipv4({ proto: 47 }, concat(Uint8Array.of(0x30, 0x81, 0x88, 0x0b, 0, 44, 0, 1), new Uint8Array(8), Uint8Array.of(0xff, 0x03, 0, 0x21), ipv4({ proto: 6 }, tcp({}))))],
  // Geneve with an option, GTP-U with an extension header, Teredo with an origin indication, AYIYA.
  [LINKTYPE_RAW, ipv4({ proto: 17 }, udp(9, 6081, concat(Uint8Array.of(1, 0, 0x65, 0x58, 0, 0, 1, 0), new Uint8Array(4), ethernet(0x0800, ipv4({ proto: 17 }, udp(5, 6, new Uint8Array(4)))))))],
  [LINKTYPE_RAW, ipv4({ proto: 17 }, udp(2152, 2152, concat(Uint8Array.of(0x34, 0xff, 0, 36, 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0, 9, 0), ipv4({ proto: 17 }, udp(5, 6, new Uint8Array(0))))))],
  [LINKTYPE_RAW, ipv4({ proto: 17 }, udp(3544, 9, concat(Uint8Array.of(0, 0, 1, 2, 3, 4, 5, 6), ipv6({ nextHeader: 17 }, udp(1, 2, new Uint8Array(4))))))],
  [LINKTYPE_RAW, ipv4({ proto: 17 }, udp(5072, 9, concat(Uint8Array.of(0x11, 0x12, 0x21, 41, 0, 0, 0, 1), new Uint8Array(6), ipv6({ nextHeader: 17 }, udp(1, 2, new Uint8Array(4))))))],
];

const mutatedSeed = fc.tuple(
  fc.integer({ min: 0, max: SEEDS.length - 1 }),
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
  fc.nat(),
).map(([i, edits, cut]) => {
  const [linkType, seed] = SEEDS[i];
  const bytes = Uint8Array.from(seed);
  for (const [pos, value] of edits) bytes[pos % bytes.length] = value;
  return { linkType, bytes: bytes.subarray(0, bytes.length - (cut % 8)) };
});

const anyFrame = fc.record({
  linkType: fc.oneof(fc.constantFrom(...LINK_TYPES), fc.integer({ min: 0, max: 300 })),
  bytes: fc.uint8Array({ maxLength: 200 }),
});

const frameInput = fc.record({
  frame: fc.oneof(anyFrame, mutatedSeed),
  pad: fc.nat({ max: 16 }),
  capDelta: fc.integer({ min: -40, max: 40 }), // positive: caplen past the buffer end (must be clipped)
  wireDelta: fc.integer({ min: -40, max: 2000 }),
  ts: fc.nat({ max: 100_000_000 }),
});

test('decode never throws and never reports bytes outside the buffer', () => {
  fc.assert(
    fc.property(fc.array(frameInput, { minLength: 1, maxLength: 12 }), (frames) => {
      const { dec } = newDecoder({ maxDatagrams: 4, maxBytes: 64 * 1024, timeoutMicros: 10_000_000 });
      for (const { frame, pad, capDelta, wireDelta, ts } of frames) {
        const buf = new Uint8Array(pad + frame.bytes.length);
        buf.set(frame.bytes, pad);
        const caplen = Math.max(0, frame.bytes.length + capDelta);
        decodeAll(dec, buf, pad, caplen, caplen + wireDelta, frame.linkType, ts);
      }
      dec.finish();
    }),
    { numRuns: 3000 },
  );
});
