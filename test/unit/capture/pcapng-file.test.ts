/**
 * pcapng reader: round trips through PcapngWriter (byte orders, several interfaces and link
 * types, if_tsresol / if_tsoffset, SPB, obsolete PB, skipped blocks, several sections), then
 * hostile files (lying lengths, cut files, bad interface ids), then Apple's process information
 * blocks and the packet options that name them. Readers must never throw here.
 */
import * as fs from 'fs';
import { PcapngWriter } from '../../../src/capture/pcapng-writer';
import { MAX_BUFFERED_BLOCK } from '../../../src/capture/pcapng-file';
import { openCapture } from '../../../src/capture/open-capture';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_NFLOG, LINKTYPE_RAW, MAX_CAPLEN, newFrame } from '../../../src/capture/source';
import { Bytes, makeTempDir, packetBytes, readAll } from './capture-test-helpers';

const tmp = makeTempDir('pcapng');
afterAll(() => tmp.cleanup());

const T0 = 1_700_000_000_123_456;
const NRB = 4;
const ISB = 5;
const CUSTOM = 0x00000bad;

function write(name: string, build: (w: PcapngWriter) => void, littleEndian = true): string {
  const file = tmp.file(name);
  const w = new PcapngWriter(file, { littleEndian });
  build(w);
  w.close();
  return file;
}

describe('pcapng round trip through PcapngWriter', () => {
  for (const littleEndian of [true, false]) {
    test(`${littleEndian ? 'little' : 'big'}-endian, two interfaces with different link types`, () => {
      const file = write(
        `rt-${littleEndian}.pcapng`,
        (w) => {
          const eth = w.addInterface(LINKTYPE_ETHERNET, 65535);
          const raw = w.addInterface(LINKTYPE_RAW, 0);
          w.writePacket(eth, T0, packetBytes(0, 60));
          w.writePacket(raw, T0 + 1, packetBytes(1, 41), 1500);
          w.writePacket(eth, T0 + 2, packetBytes(2, 0));
        },
        littleEndian,
      );
      const r = readAll(file);
      expect(r.issues).toEqual([]);
      expect(r.packets).toEqual([
        { data: Array.from(packetBytes(0, 60)), tsMicros: T0, wireLength: 60, linkType: LINKTYPE_ETHERNET, interfaceId: 0 },
        { data: Array.from(packetBytes(1, 41)), tsMicros: T0 + 1, wireLength: 1500, linkType: LINKTYPE_RAW, interfaceId: 1 },
        { data: [], tsMicros: T0 + 2, wireLength: 0, linkType: LINKTYPE_ETHERNET, interfaceId: 0 },
      ]);
      expect(r.info).toEqual({
        file,
        format: 'pcapng',
        linkTypes: ['EN10MB', 'RAW'],
        packets: 3,
        bytes: fs.statSync(file).size,
        tsResolution: 'us',
        byteOrder: littleEndian ? 'little' : 'big',
      });
    });
  }

  test('if_tsresol: powers of ten and two, floored to µs; if_tsoffset added', () => {
    const file = write('tsresol.pcapng', (w) => {
      const ns = w.addInterface(LINKTYPE_ETHERNET, 0, { tsresol: 9 });
      const ms = w.addInterface(LINKTYPE_ETHERNET, 0, { tsresol: 3 });
      const p2 = w.addInterface(LINKTYPE_ETHERNET, 0, { tsresol: 0x80 | 20 });
      const ps = w.addInterface(LINKTYPE_ETHERNET, 0, { tsresol: 12 });
      const off = w.addInterface(LINKTYPE_ETHERNET, 0, { tsoffsetSeconds: 1_000_000_000 });
      const neg = w.addInterface(LINKTYPE_ETHERNET, 0, { tsoffsetSeconds: -5 });
      // 1.7e18 ns does not fit a double exactly: the reader must still floor to the right µs.
      w.writePacketUnits(ns, 1_700_000_000_123_456_999n, packetBytes(0, 4));
      w.writePacketUnits(ms, 1_700_000_000_123n, packetBytes(1, 4));
      w.writePacketUnits(p2, (1_700_000_000n << 20n) + 524288n, packetBytes(2, 4)); // + 0.5 s
      w.writePacketUnits(ps, 10_000_000_123_456_789_012n, packetBytes(3, 4)); // 1.7e21 ps would not fit 64 bits
      w.writePacket(off, 700_000_000_000_001, packetBytes(4, 4));
      w.writePacket(neg, 10_000_000, packetBytes(5, 4));
      w.writePacket(ns, T0, packetBytes(6, 4)); // the writer converts µs → ns
    });
    const r = readAll(file);
    expect(r.issues).toEqual([]);
    expect(r.packets.map((p) => p.tsMicros)).toEqual([
      1_700_000_000_123_456,
      1_700_000_000_123_000,
      1_700_000_000_500_000,
      10_000_000_123_456,
      1_700_000_000_000_001,
      5_000_000,
      T0,
    ]);
    expect(r.info.tsResolution).toBe('ns,ms,2^-20,10^-12,us');
  });

  test('Simple Packet Block: interface 0, captured = min(wire length, snaplen), previous timestamp', () => {
    const file = write('spb.pcapng', (w) => {
      w.addInterface(LINKTYPE_ETHERNET, 8);
      w.writePacket(0, T0, packetBytes(0, 8), 100);
      w.writeSimplePacket(packetBytes(1, 8), 100); // wire 100, snaplen 8
      w.writeSimplePacket(packetBytes(2, 5)); // wire 5 < snaplen: padding is not data
    });
    const r = readAll(file);
    expect(r.issues).toEqual([]);
    expect(r.packets.slice(1)).toEqual([
      { data: Array.from(packetBytes(1, 8)), tsMicros: T0, wireLength: 100, linkType: LINKTYPE_ETHERNET, interfaceId: 0 },
      { data: Array.from(packetBytes(2, 5)), tsMicros: T0, wireLength: 5, linkType: LINKTYPE_ETHERNET, interfaceId: 0 },
    ]);
  });

  test('obsolete Packet Block (type 2) is read like an EPB', () => {
    const file = write('pb.pcapng', (w) => {
      w.addInterface(LINKTYPE_ETHERNET, 0);
      w.addInterface(LINKTYPE_LINUX_SLL, 0);
      w.writeObsoletePacket(1, T0, packetBytes(0, 17), 20);
    });
    const r = readAll(file);
    expect(r.issues).toEqual([]);
    expect(r.packets).toEqual([{ data: Array.from(packetBytes(0, 17)), tsMicros: T0, wireLength: 20, linkType: LINKTYPE_LINUX_SLL, interfaceId: 1 }]);
  });

  test('unknown, statistics, name-resolution and oversized custom blocks are skipped by length', () => {
    const file = write('skip.pcapng', (w) => {
      w.writeBlock(NRB, new Uint8Array([0, 0, 0, 0]));
      w.addInterface(LINKTYPE_ETHERNET, 0);
      w.writeBlock(CUSTOM, packetBytes(9, 13));
      w.writePacket(0, T0, packetBytes(0, 10));
      w.writeBlock(ISB, new Uint8Array(20));
      w.writeBlock(CUSTOM, new Uint8Array(MAX_BUFFERED_BLOCK + 100_000)); // bigger than the reader buffers
      w.writeBlock(0x12345678, new Uint8Array(0));
      w.writePacket(0, T0 + 1, packetBytes(1, 10));
    });
    const r = readAll(file);
    expect(r.issues).toEqual([]);
    expect(r.packets.map((p) => p.data[0])).toEqual([0, 1]);
    expect(r.info.bytes).toBe(fs.statSync(file).size);
  });

  test('blocks spanning many read windows come back intact', () => {
    const sizes: number[] = [];
    for (let i = 0; i < 500; i++) sizes.push(i % 60 === 0 ? MAX_CAPLEN : (i * 7919) % 20000);
    const path = write('big.pcapng', (w) => {
      w.addInterface(LINKTYPE_ETHERNET, 0);
      sizes.forEach((n, i) => {
        w.writePacket(0, T0 + i, packetBytes(i, n));
        if (i % 7 === 0) w.writeBlock(CUSTOM, packetBytes(i, i * 13));
      });
    });
    const r = readAll(path);
    expect(r.issues).toEqual([]);
    expect(r.packets.map((p) => p.data.length)).toEqual(sizes);
    r.packets.forEach((p, i) => {
      expect(p.tsMicros).toBe(T0 + i);
      if (sizes[i] > 0) expect(p.data[sizes[i] - 1]).toBe(packetBytes(i, sizes[i])[sizes[i] - 1]);
    });
  });

  test('a second section in the other byte order brings its own interfaces', () => {
    const file = write('sections.pcapng', (w) => {
      w.addInterface(LINKTYPE_ETHERNET, 0);
      w.writePacket(0, T0, packetBytes(0, 10));
      w.startSection({ littleEndian: false });
      w.addInterface(LINKTYPE_NFLOG, 0, { tsresol: 9 });
      w.writePacket(0, T0 + 5, packetBytes(1, 11));
      w.startSection({ littleEndian: true });
      w.addInterface(LINKTYPE_RAW, 0);
      w.writePacket(0, T0 + 9, packetBytes(2, 12));
    });
    const r = readAll(file);
    expect(r.issues).toEqual([]);
    expect(r.packets.map((p) => [p.linkType, p.interfaceId, p.tsMicros, p.data.length])).toEqual([
      [LINKTYPE_ETHERNET, 0, T0, 10],
      [LINKTYPE_NFLOG, 0, T0 + 5, 11],
      [LINKTYPE_RAW, 0, T0 + 9, 12],
    ]);
    expect(r.info.linkTypes).toEqual(['EN10MB', 'NFLOG', 'RAW']);
    expect(r.info.byteOrder).toBe('little');
  });
});

/** Hand-built blocks for shapes the writer will not make. */
function block(type: number, body: ArrayLike<number>, lead?: number, trail?: number): Bytes {
  const len = 12 + body.length;
  return new Bytes().u32(type).u32(lead ?? len).raw(body).u32(trail ?? len);
}
const SHB = new Bytes().u32(0x0a0d0d0a).u32(28).u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff).u32(28);
const IDB_ETH = block(1, new Bytes().u16(1).u16(0).u32(0).build());
function epb(ifId: number, data: number[], caplen = data.length): Bytes {
  const body = new Bytes().u32(ifId).u32(0).u32(1).u32(caplen).u32(data.length).raw(data);
  while (body.length % 4) body.u8(0);
  return block(6, body.build());
}
function file(name: string, ...parts: Bytes[]): string {
  const path = tmp.file(name);
  fs.writeFileSync(path, Buffer.concat(parts.map((p) => p.build())));
  return path;
}

describe('pcapng damage', () => {
  test('a cut at every byte delivers the whole blocks and at most one issue', () => {
    const full = fs.readFileSync(
      write('small.pcapng', (w) => {
        w.addInterface(LINKTYPE_ETHERNET, 0);
        w.writePacket(0, T0, packetBytes(0, 14));
        w.writeBlock(CUSTOM, packetBytes(7, 5));
        w.writePacket(0, T0 + 1, packetBytes(1, 1));
      }),
    );
    // SHB 28, IDB 32, EPB 48, custom 20, EPB 36.
    const boundaries = [28, 60, 108, 128, 164];
    expect(full.length).toBe(164);
    const packetEnds = [108, 164];
    for (let cut = 4; cut < full.length; cut++) {
      const path = tmp.file(`cut-${cut}.pcapng`);
      fs.writeFileSync(path, full.subarray(0, cut));
      const r = readAll(path);
      expect(r.packets.length).toBe(packetEnds.filter((e) => e <= cut).length);
      if (boundaries.includes(cut)) expect(r.issues).toEqual([]);
      else {
        expect(r.issues).toHaveLength(1);
        expect(r.issues[0]).toMatchObject({ code: 'EA_CAPTURE_TRUNCATED', dataLost: true, offset: Math.max(0, ...boundaries.filter((b) => b <= cut)) });
      }
    }
  });

  test.each([
    ['not a multiple of 4', block(6, new Uint8Array(32), 46, 46)],
    ['shorter than 12', new Bytes().u32(6).u32(8).u32(8)],
    ['zero', new Bytes().u32(6).u32(0).u32(0)],
    ['trailing length differs', block(6, new Uint8Array(32), undefined, 1000)],
    ['packet block far too large', new Bytes().u32(6).u32(0x7ffffff0).raw(new Uint8Array(64))],
    ['interface block far too large', new Bytes().u32(1).u32(MAX_BUFFERED_BLOCK + 4).raw(new Uint8Array(64))],
    ['unknown block with a lying trailer', block(CUSTOM, new Uint8Array(8), undefined, 24)],
  ])('lying block length (%s): packets before it, one EA_CAPTURE_BAD_BLOCK at its offset, then stop', (_why, bad) => {
    const before = process.memoryUsage().arrayBuffers;
    const r = readAll(file(`lying-${_why}.pcapng`, SHB, IDB_ETH, epb(0, [1, 2, 3]), bad, epb(0, [4, 5, 6])));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
    expect(r.packets.map((p) => p.data)).toEqual([[1, 2, 3]]);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ code: 'EA_CAPTURE_BAD_BLOCK', dataLost: true, offset: 28 + 20 + 36 });
    expect(r.anomalies).toEqual({ 'capture.bad_block': 1 });
  });

  test('an unknown block whose length runs past the end of the file is a truncation', () => {
    const r = readAll(file('skip-past-eof.pcapng', SHB, IDB_ETH, epb(0, [1]), new Bytes().u32(CUSTOM).u32(0x7ffffff0).raw(new Uint8Array(64))));
    expect(r.packets).toHaveLength(1);
    expect(r.issues.map((i) => [i.code, i.offset])).toEqual([['EA_CAPTURE_TRUNCATED', 28 + 20 + 36]]);
  });

  test('caplen larger than its block (or near 2^31): that packet skipped, reading goes on', () => {
    const r = readAll(file('caplen.pcapng', SHB, IDB_ETH, epb(0, [1, 2, 3, 4], 200), epb(0, [5], 0x7fffffff), epb(0, [6])));
    expect(r.packets.map((p) => p.data)).toEqual([[6]]);
    expect(r.issues).toHaveLength(1); // reported once, counted twice
    expect(r.issues[0]).toMatchObject({ code: 'EA_CAPTURE_CAPLEN', dataLost: true, offset: 48 });
    expect(r.anomalies).toEqual({ 'capture.caplen_too_large': 2 });
  });

  test('interface id out of range: packet skipped, issue once, anomaly per packet', () => {
    const r = readAll(file('ifid.pcapng', SHB, IDB_ETH, epb(1, [1]), epb(7, [2]), epb(0, [3])));
    expect(r.packets.map((p) => p.data)).toEqual([[3]]);
    expect(r.issues.map((i) => [i.code, i.offset, i.dataLost])).toEqual([['EA_CAPTURE_INTERFACE_ID', 48, true]]);
    expect(r.anomalies).toEqual({ 'capture.interface_id_invalid': 2 });
  });

  test('a packet before any interface description is skipped; an SPB with no interface 0 too', () => {
    const spb = block(3, new Bytes().u32(1).raw([9, 0, 0, 0]).build());
    const r = readAll(file('no-idb.pcapng', SHB, epb(0, [1]), spb));
    expect(r.packets).toEqual([]);
    expect(r.anomalies).toEqual({ 'capture.interface_id_invalid': 2 });
  });

  test('interfaces do not carry over into the next section', () => {
    const r = readAll(file('reset.pcapng', SHB, IDB_ETH, epb(0, [1]), SHB, epb(0, [2])));
    expect(r.packets.map((p) => p.data)).toEqual([[1]]);
    expect(r.issues.map((i) => i.code)).toEqual(['EA_CAPTURE_INTERFACE_ID']);
  });

  test('caplen > original length: kept, wire length raised, anomaly counted', () => {
    const body = new Bytes().u32(0).u32(0).u32(1).u32(4).u32(2).raw([1, 2, 3, 4]);
    const r = readAll(file('caplen-wire.pcapng', SHB, IDB_ETH, block(6, body.build())));
    expect(r.packets.map((p) => [p.data.length, p.wireLength])).toEqual([[4, 4]]);
    expect(r.anomalies).toEqual({ 'capture.caplen_exceeds_wirelen': 1 });
  });

  test('an IDB option running past its block stops option parsing, not the read', () => {
    const idb = block(1, new Bytes().u16(1).u16(0).u32(0).u16(9).u16(200).u32(0).build());
    const r = readAll(file('bad-option.pcapng', SHB, idb, epb(0, [1])));
    expect(r.packets).toHaveLength(1);
    expect(r.issues.map((i) => [i.code, i.dataLost])).toEqual([['EA_CAPTURE_BAD_OPTION', false]]);
  });

  test('a section of an unknown major version stops the read', () => {
    const shb2 = new Bytes().u32(0x0a0d0d0a).u32(28).u32(0x1a2b3c4d).u16(2).u16(0).u32(0).u32(0).u32(28);
    const r = readAll(file('version2.pcapng', SHB, IDB_ETH, epb(0, [1]), shb2, IDB_ETH, epb(0, [2])));
    expect(r.packets).toHaveLength(1);
    expect(r.issues.map((i) => i.code)).toEqual(['EA_CAPTURE_BAD_BLOCK']);
    expect(r.issues[0].message).toContain('version 2.0');
  });

  test('a packet of exactly MAX_CAPLEN bytes is read', () => {
    const path = write('max.pcapng', (w) => {
      w.addInterface(LINKTYPE_ETHERNET, 0);
      w.writePacket(0, T0, new Uint8Array(MAX_CAPLEN).fill(7));
      w.writePacket(0, T0, packetBytes(1, 3));
    });
    const r = readAll(path);
    expect(r.issues).toEqual([]);
    expect(r.packets.map((p) => p.data.length)).toEqual([MAX_CAPLEN, 3]);
  });
});

describe('Apple process information blocks (macOS tcpdump on pktap)', () => {
  /** A Process Information Block (type 0x80000001): pid, then the name as option 2. */
  function pib(pid: number, name?: number[]): Bytes {
    const body = new Bytes().u32(pid);
    if (name !== undefined) {
      body.u16(2).u16(name.length).raw(name);
      while (body.length % 4) body.u8(0);
    }
    body.u16(0).u16(0);
    return block(0x80000001, body.build());
  }
  /** An EPB whose options are `opts` ([code, value bytes]); `tail` bytes go after them as they are. */
  function epbWith(data: number[], opts: [number, number[]][], tail: number[] = []): Bytes {
    const body = new Bytes().u32(0).u32(0).u32(1).u32(data.length).u32(data.length).raw(data);
    while (body.length % 4) body.u8(0);
    for (const [code, value] of opts) {
      body.u16(code).u16(value.length).raw(value);
      while (body.length % 4) body.u8(0);
    }
    body.raw(tail);
    return block(6, body.build());
  }
  const u32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
  const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];

  function processes(path: string): (string | null)[] {
    const src = openCapture(path);
    const frame = newFrame();
    const out: (string | null)[] = [];
    try {
      while (src.next(frame)) out.push(frame.process);
      expect(src.issues).toEqual([]);
    } finally {
      src.close();
    }
    return out;
  }

  test('each packet names its effective process, else its own; a number past the blocks, or none, names nothing', () => {
    const path = file('pib.pcapng', SHB, IDB_ETH,
      pib(88, ascii('mDNSResponder')), pib(1321, ascii('RadarMonitor')), pib(654, ascii('curl')), pib(7),
      epbWith([1, 2, 3], [[0x8001, u32(0)], [0x8003, u32(1)], [0, []]]),
      epbWith([1, 2, 3], [[0x8001, u32(2)], [0, []]]),
      epbWith([1, 2, 3, 4, 5], [[0x8003, u32(9)], [0x8001, u32(1)], [0, []]]),
      epbWith([1, 2, 3], [[0x8001, u32(3)], [0, []]]),
      epbWith([1, 2, 3], [[0x8001, u32(40)], [0, []]]),
      epbWith([1, 2, 3], []));
    expect(processes(path)).toEqual(['RadarMonitor', 'curl', 'RadarMonitor', null, null, null]);
  });

  test('names keep every byte: outside printable ASCII, and the backslash, as \\DDD', () => {
    const path = file('pib-bytes.pcapng', SHB, IDB_ETH, pib(5, [0x57, 0xc3, 0xa9, 0x5c, 0x0a, 0x20, 0x41]), epbWith([1], [[0x8001, u32(0)]]));
    expect(processes(path)).toEqual(['W\\195\\169\\092\\010 A']);
  });

  test('a new section forgets the blocks of the one before', () => {
    const path = file('pib-sections.pcapng', SHB, IDB_ETH, pib(1, ascii('first')), epbWith([1], [[0x8001, u32(0)]]),
      SHB, IDB_ETH, epbWith([1], [[0x8001, u32(0)]]), pib(2, ascii('second')), epbWith([1], [[0x8001, u32(0)]]));
    expect(processes(path)).toEqual(['first', null, 'second']);
  });

  test('an option whose length runs past its block ends the option walk, not the read', () => {
    const path = file('pib-lying.pcapng', SHB, IDB_ETH, pib(1, ascii('p')),
      epbWith([1], [], [0x01, 0x80, 0xff, 0x00, 0, 0, 0, 0]), epbWith([2], [[0x8001, u32(0)]]));
    expect(processes(path)).toEqual([null, 'p']);
  });

  test('without process blocks no packet option is read, and packets say nothing', () => {
    const path = file('no-pib.pcapng', SHB, IDB_ETH, epbWith([1], [[0x8001, u32(0)]]));
    expect(processes(path)).toEqual([null]);
  });
});
