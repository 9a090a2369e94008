/**
 * Classic pcap reader: round trips through PcapWriter in every variant, then the hostile cases
 * (cut files, lying caplens, odd link-type fields) built by hand. Readers must never throw here.
 */
import * as fs from 'fs';
import { PcapWriter } from '../../../src/capture/pcap-writer';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW, MAX_CAPLEN } from '../../../src/capture/source';
import { makeTempDir, packetBytes, pcapHeader, readAll } from './capture-test-helpers';

const tmp = makeTempDir('pcap');
afterAll(() => tmp.cleanup());

const T0 = 1_700_000_000_123_456; // µs since the epoch, November 2023

describe('pcap round trip through PcapWriter', () => {
  const variants = [
    { littleEndian: true, nanos: false },
    { littleEndian: false, nanos: false },
    { littleEndian: true, nanos: true },
    { littleEndian: false, nanos: true },
  ];
  for (const v of variants) {
    test(`${v.littleEndian ? 'little' : 'big'}-endian, ${v.nanos ? 'ns' : 'µs'}`, () => {
      const file = tmp.file(`rt-${v.littleEndian}-${v.nanos}.pcap`);
      const w = new PcapWriter(file, { linkType: LINKTYPE_LINUX_SLL2, snaplen: 65535, ...v });
      const sizes = [0, 1, 60, 1514, 3, 100];
      sizes.forEach((n, i) => w.writePacket(T0 + i * 1_000_001, packetBytes(i, n), n + (i === 3 ? 100 : 0)));
      w.close();

      const r = readAll(file);
      expect(r.issues).toEqual([]);
      expect(r.packets.map((p) => p.data.length)).toEqual(sizes);
      r.packets.forEach((p, i) => {
        expect(p.data).toEqual(Array.from(packetBytes(i, sizes[i])));
        expect(p.tsMicros).toBe(T0 + i * 1_000_001);
        expect(p.wireLength).toBe(sizes[i] + (i === 3 ? 100 : 0));
        expect(p.linkType).toBe(LINKTYPE_LINUX_SLL2);
        expect(p.interfaceId).toBe(0);
      });
      expect(r.info).toEqual({
        file,
        format: 'pcap',
        linkTypes: ['LINUX_SLL2'],
        packets: sizes.length,
        bytes: fs.statSync(file).size,
        tsResolution: v.nanos ? 'ns' : 'us',
        byteOrder: v.littleEndian ? 'little' : 'big',
      });
    });
  }

  test('nanoseconds are floored to microseconds', () => {
    const file = tmp.file('ns-floor.pcap');
    const w = new PcapWriter(file, { linkType: LINKTYPE_RAW, nanos: true });
    w.writeRecord(1_700_000_000, 999_999_999, packetBytes(0, 20));
    w.writeRecord(1_700_000_000, 1_999, packetBytes(1, 20));
    w.close();
    expect(readAll(file).packets.map((p) => p.tsMicros)).toEqual([1_700_000_000_999_999, 1_700_000_000_000_001]);
  });

  test('records spanning many read chunks come back intact', () => {
    // ~6 MB of records of awkward sizes, so records straddle every 1 MiB window boundary.
    const file = tmp.file('big.pcap');
    const w = new PcapWriter(file, { linkType: LINKTYPE_ETHERNET, snaplen: MAX_CAPLEN });
    const sizes: number[] = [];
    for (let i = 0; i < 400; i++) sizes.push(i % 50 === 0 ? MAX_CAPLEN : (i * 7919) % 20000);
    sizes.forEach((n, i) => w.writePacket(T0 + i, packetBytes(i, n)));
    w.close();
    const r = readAll(file);
    expect(r.issues).toEqual([]);
    expect(r.packets.length).toBe(sizes.length);
    r.packets.forEach((p, i) => {
      expect(p.data.length).toBe(sizes[i]);
      if (sizes[i] > 0) expect([p.data[0], p.data[sizes[i] - 1]]).toEqual([packetBytes(i, sizes[i])[0], packetBytes(i, sizes[i])[sizes[i] - 1]]);
    });
  });
});

describe('pcap header fields', () => {
  test('FCS bits in the link-type field are masked off (draft-ietf-opsawg-pcap §4)', () => {
    const file = tmp.file('fcs.pcap');
    // F bit (26) set, FCS length 4 in bits 28-31, link type 1.
    fs.writeFileSync(file, pcapHeader({ linkType: 0x44000001 }).build());
    const r = readAll(file);
    expect(r.info.linkTypes).toEqual(['EN10MB']);
    expect(r.issues).toEqual([]);
  });

  test.each([
    [2, 0, true], [2, 3, true], [2, 4, true],
    // libpcap's tests/pcap-invalid-version-1 (1.4, "archaic") and -2 (2.5, "unsupported"), refused as
    // tcpdump refuses them (tshark 4.0 refuses 1.4 but reads any 2.x or later)
    [1, 4, false], [2, 5, false], [3, 0, false], [0, 0, false],
  ])('file format version %i.%i: read = %s', (major, minor, read) => {
    for (const littleEndian of [true, false]) {
      const file = tmp.file(`version-${major}-${minor}-${littleEndian}.pcap`);
      const header = Buffer.from(pcapHeader({ littleEndian }).build());
      if (littleEndian) { header.writeUInt16LE(major, 4); header.writeUInt16LE(minor, 6); } else { header.writeUInt16BE(major, 4); header.writeUInt16BE(minor, 6); }
      const record = Buffer.alloc(16 + 60);
      if (littleEndian) { record.writeUInt32LE(60, 8); record.writeUInt32LE(60, 12); } else { record.writeUInt32BE(60, 8); record.writeUInt32BE(60, 12); }
      fs.writeFileSync(file, Buffer.concat([header, record]));
      const r = readAll(file);
      if (read) {
        expect(r.packets).toHaveLength(1);
        expect(r.issues).toEqual([]);
      } else {
        expect(r.packets).toEqual([]);
        expect(r.issues).toMatchObject([{ code: 'EA_CAPTURE_NOT_A_CAPTURE', offset: 0, dataLost: true }]);
        expect(r.issues[0].message).toBe(`pcap file header has version ${major}.${minor}; only 2.0 to 2.4 are defined`);
      }
    }
  });

  test('Kuznetzov\'s modified pcap (magic 0xa1b2cd34, 24-byte record headers), either byte order, read as libpcap reads it', () => {
    for (const littleEndian of [true, false]) {
      const file = tmp.file(`kuznetzov-${littleEndian}.pcap`);
      const header = Buffer.from(pcapHeader({ littleEndian }).build());
      if (littleEndian) header.writeUInt32LE(0xa1b2cd34, 0); else header.writeUInt32BE(0xa1b2cd34, 0);
      const records = [0, 1].map((i) => {
        const r = Buffer.alloc(24 + 60 + i, 0xee); // the 8 extra bytes (ifindex, protocol, pkt_type, pad) and the packet
        const put = (v: number, at: number): number => (littleEndian ? r.writeUInt32LE(v, at) : r.writeUInt32BE(v, at));
        put(1_700_000_000 + i, 0); put(123 + i, 4); put(60 + i, 8); put(60 + i, 12);
        r.fill(i + 1, 24);
        return r;
      });
      fs.writeFileSync(file, Buffer.concat([header, ...records]));
      const r = readAll(file);
      expect(r.issues).toEqual([]);
      expect(r.packets.map((p) => [p.tsMicros, p.wireLength, p.data.length, p.data[0], p.data[p.data.length - 1]])).toEqual([
        [1_700_000_000_000_123, 60, 60, 1, 1], [1_700_000_001_000_124, 61, 61, 2, 2],
      ]);
      // Cut inside the second record's 24-byte header: the first record, then one issue.
      fs.writeFileSync(file, Buffer.concat([header, records[0], records[1].subarray(0, 20)]));
      const cut = readAll(file);
      expect(cut.packets).toHaveLength(1);
      expect(cut.issues).toMatchObject([{ code: 'EA_CAPTURE_TRUNCATED' }]);
    }
  });

  test('a header-only file is a valid, empty capture', () => {
    const file = tmp.file('empty-capture.pcap');
    fs.writeFileSync(file, pcapHeader().build());
    const r = readAll(file);
    expect(r.packets).toEqual([]);
    expect(r.issues).toEqual([]);
    expect(r.info.bytes).toBe(24);
  });
});

describe('pcap damage', () => {
  function smallFile(): Buffer {
    const file = tmp.file('small.pcap');
    const w = new PcapWriter(file, { linkType: LINKTYPE_ETHERNET });
    [14, 0, 33].forEach((n, i) => w.writePacket(T0 + i, packetBytes(i, n)));
    w.close();
    return fs.readFileSync(file);
  }

  test('a cut at every byte delivers the whole records and at most one issue', () => {
    const full = smallFile();
    const boundaries = [24, 24 + 16 + 14, 24 + 16 + 14 + 16, full.length];
    for (let cut = 4; cut < full.length; cut++) {
      const file = tmp.file(`cut-${cut}.pcap`);
      fs.writeFileSync(file, full.subarray(0, cut));
      const r = readAll(file);
      const whole = boundaries.filter((b, i) => i > 0 && b <= cut).length;
      expect(r.packets.length).toBe(whole);
      if (boundaries.includes(cut)) {
        expect(r.issues).toEqual([]);
      } else {
        expect(r.issues).toHaveLength(1);
        expect(r.issues[0]).toMatchObject({ code: 'EA_CAPTURE_TRUNCATED', dataLost: true, file });
        // The issue names where the broken part starts: the last whole boundary.
        expect(r.issues[0].offset).toBe(cut < 24 ? 0 : Math.max(...boundaries.filter((b) => b <= cut)));
        if (cut >= 24) expect(r.anomalies).toEqual({ 'capture.truncated_record': 1 });
      }
    }
  });

  test('caplen near 2^31 stops the read with EA_CAPTURE_CAPLEN and no big allocation', () => {
    const file = tmp.file('huge-caplen.pcap');
    const h = pcapHeader({ snaplen: 65535 });
    h.u32(1).u32(0).u32(4).u32(4).raw([1, 2, 3, 4]); // one good record
    h.u32(2).u32(0).u32(0x7ffffff0).u32(0x7ffffff0).raw([9, 9, 9, 9]); // lying caplen
    fs.writeFileSync(file, h.build());
    const before = process.memoryUsage().arrayBuffers;
    const r = readAll(file);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
    expect(r.packets.map((p) => p.data)).toEqual([[1, 2, 3, 4]]);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ code: 'EA_CAPTURE_CAPLEN', offset: 24 + 20, dataLost: true });
    expect(r.issues[0].message).toContain(String(0x7ffffff0));
    expect(r.anomalies).toEqual({ 'capture.caplen_too_large': 1 });
  });

  test('caplen just over MAX_CAPLEN is rejected, exactly MAX_CAPLEN is not', () => {
    const okFile = tmp.file('max-caplen.pcap');
    const ok = pcapHeader({ snaplen: MAX_CAPLEN }).u32(1).u32(0).u32(MAX_CAPLEN).u32(MAX_CAPLEN).raw(new Uint8Array(MAX_CAPLEN));
    fs.writeFileSync(okFile, ok.build());
    expect(readAll(okFile).packets).toHaveLength(1);

    const badFile = tmp.file('max-caplen-plus-1.pcap');
    const bad = pcapHeader({ snaplen: MAX_CAPLEN }).u32(1).u32(0).u32(MAX_CAPLEN + 1).u32(MAX_CAPLEN + 1).raw(new Uint8Array(MAX_CAPLEN + 1));
    fs.writeFileSync(badFile, bad.build());
    const r = readAll(badFile);
    expect(r.packets).toHaveLength(0);
    expect(r.issues.map((i) => i.code)).toEqual(['EA_CAPTURE_CAPLEN']);
  });

  test('caplen > snaplen but under the maximum is kept, with one warning (libpcap and tshark keep it too)', () => {
    const file = tmp.file('over-snaplen.pcap');
    const h = pcapHeader({ snaplen: 4 });
    for (let i = 0; i < 3; i++) h.u32(1).u32(i).u32(6).u32(6).raw([i, 1, 2, 3, 4, 5]);
    fs.writeFileSync(file, h.build());
    const r = readAll(file);
    expect(r.packets).toHaveLength(3);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ code: 'EA_CAPTURE_CAPLEN', dataLost: false, offset: 24 });
  });

  test('caplen > original length: packet kept, wire length raised, anomaly counted', () => {
    const file = tmp.file('caplen-over-wire.pcap');
    fs.writeFileSync(file, pcapHeader().u32(1).u32(0).u32(8).u32(2).raw([1, 2, 3, 4, 5, 6, 7, 8]).build());
    const r = readAll(file);
    expect(r.packets[0].wireLength).toBe(8);
    expect(r.packets[0].data).toHaveLength(8);
    expect(r.issues).toEqual([]);
    expect(r.anomalies).toEqual({ 'capture.caplen_exceeds_wirelen': 1 });
  });
});
