/**
 * Checks the generator's builders against independent decoders, so the fixtures are not only
 * self-consistent: ClientHellos against `read-tls-client-hello`, DNS messages against
 * `dns-packet`, checksums by re-summing, and the capture-file headers byte by byte.
 *
 * Never touches captures/; every case builds its bytes in memory.
 */
import { PassThrough } from 'stream';
import * as dnsPacket from 'dns-packet';
import { readTlsClientHello } from 'read-tls-client-hello';
import { serializePcap, serializePcapng } from '../../gen/capture-file';
import {
  DNS_TYPE_A, DNS_TYPE_CNAME, GREASE_A, IPPROTO_TCP, TCP_ACK, TLS_EXT_KEY_SHARE, TLS_EXT_SERVER_NAME,
  TLS_GROUP_X25519, TLS_GROUP_X25519MLKEM768, dnsMessage, internetChecksum, ipv4, ipv6, parseIpv6, tcp, tlsClientHello, udp,
} from '../../gen/packets';

/** A stream holding `bytes` and left open, as a socket would be (the reader fails on an ended stream). */
function streamOf(bytes: Uint8Array): PassThrough {
  const s = new PassThrough();
  s.write(Buffer.from(bytes));
  return s;
}

describe('tlsClientHello', () => {
  test('a post-quantum hello decodes with read-tls-client-hello: SNI, ALPN, 1216-byte X25519MLKEM768 share', async () => {
    const built = tlsClientHello({ seed: 't', serverName: 'updates.example.com', alpn: ['h2', 'http/1.1'], keyShareGroups: [TLS_GROUP_X25519MLKEM768, TLS_GROUP_X25519], recordLength: 1810 });
    expect(built.record.length).toBe(1810);
    const hello = await readTlsClientHello(streamOf(built.record));
    const sni = hello.extensions.find((e) => e.id === TLS_EXT_SERVER_NAME);
    expect(JSON.stringify(sni?.data)).toContain('updates.example.com');
    expect(hello.extensions[0].id).toBe(GREASE_A);
    expect(hello.cipherSuites[0]).toBe(GREASE_A);
    const ks = built.extensionOffsets.get(TLS_EXT_KEY_SHARE);
    expect(ks).toBeDefined();
    // key_share body: list length, GREASE entry (2+2+1), then 0x11EC with its 2-byte length.
    const body = built.record.subarray((ks?.start ?? 0) + 4);
    const off = 2 + 5;
    expect((body[off] << 8) | body[off + 1]).toBe(TLS_GROUP_X25519MLKEM768);
    expect((body[off + 2] << 8) | body[off + 3]).toBe(1216);
  });

  test('extensionOffsets point at the extension type bytes', () => {
    const built = tlsClientHello({ seed: 'o', serverName: 'a.example', keyShareGroups: [TLS_GROUP_X25519] });
    const sni = built.extensionOffsets.get(TLS_EXT_SERVER_NAME);
    expect(sni).toBeDefined();
    expect((built.record[sni?.start ?? 0] << 8) | built.record[(sni?.start ?? 0) + 1]).toBe(TLS_EXT_SERVER_NAME);
    expect(sni?.end).toBe((sni?.start ?? 0) + 4 + 2 + 1 + 2 + 'a.example'.length);
  });

  test('serverName null leaves the server_name extension out', async () => {
    const built = tlsClientHello({ seed: 'n', serverName: null, alpn: ['mqtt'] });
    const hello = await readTlsClientHello(streamOf(built.record));
    expect(hello.extensions.some((e) => e.id === TLS_EXT_SERVER_NAME)).toBe(false);
  });
});

describe('dnsMessage', () => {
  test('a CNAME chain response decodes with dns-packet and uses compression', () => {
    const answers = [
      { name: 'cdn.example.com', type: DNS_TYPE_CNAME, ttl: 300, data: 'a.example.net' },
      { name: 'a.example.net', type: DNS_TYPE_CNAME, ttl: 300, data: 'b.example.org' },
      { name: 'b.example.org', type: DNS_TYPE_A, ttl: 60, data: '198.51.100.80' },
    ];
    const bytes = dnsMessage({ id: 7, response: true, questions: [{ name: 'cdn.example.com', type: DNS_TYPE_A }], answers });
    const decoded = dnsPacket.decode(Buffer.from(bytes));
    expect(decoded.id).toBe(7);
    expect(decoded.answers?.map((a) => [a.name, a.type, 'data' in a ? a.data : null])).toEqual([
      ['cdn.example.com', 'CNAME', 'a.example.net'], ['a.example.net', 'CNAME', 'b.example.org'], ['b.example.org', 'A', '198.51.100.80'],
    ]);
    const uncompressed = dnsPacket.encode(decoded);
    expect(bytes.length).toBeLessThan(uncompressed.length);
  });
});

describe('checksums and addresses', () => {
  test('IPv4 header, TCP and UDP checksums verify to zero', () => {
    const seg = tcp({ srcPort: 1, dstPort: 2, seq: 3, ack: 4, flags: TCP_ACK }, Uint8Array.of(1, 2, 3), '192.0.2.10', '203.0.113.1');
    const pkt = ipv4({ src: '192.0.2.10', dst: '203.0.113.1', protocol: IPPROTO_TCP }, seg);
    expect(internetChecksum([pkt.subarray(0, 20)])).toBe(0);
    const pseudo = Uint8Array.of(192, 0, 2, 10, 203, 0, 113, 1, 0, IPPROTO_TCP, 0, seg.length);
    expect(internetChecksum([pseudo, seg])).toBe(0);
    const d = udp(5, 53, Uint8Array.of(9, 9, 9), '2001:db8::10', '2001:db8::53');
    const pseudo6 = new Uint8Array(40);
    pseudo6.set(parseIpv6('2001:db8::10'), 0);
    pseudo6.set(parseIpv6('2001:db8::53'), 16);
    pseudo6[35] = d.length;
    pseudo6[39] = 17;
    expect(internetChecksum([pseudo6, d])).toBe(0);
    expect(ipv6({ src: '2001:db8::10', dst: '2001:db8::53', nextHeader: 17 }, d).length).toBe(40 + d.length);
  });

  test('parseIpv6 expands "::" in any position', () => {
    expect(Buffer.from(parseIpv6('2001:db8::10')).toString('hex')).toBe('20010db8000000000000000000000010');
    expect(Buffer.from(parseIpv6('::1')).toString('hex')).toBe('00000000000000000000000000000001');
    expect(Buffer.from(parseIpv6('2001:db8:1:2:3:4:5:6')).toString('hex')).toBe('20010db8000100020003000400050006');
  });
});

describe('capture files', () => {
  const rec = { tsNs: 1_717_243_200_987_654_321n, interfaceId: 0, data: Uint8Array.of(1, 2, 3) };

  test('pcap: µs and ns magic, timestamp fraction in the matching unit', () => {
    const us = Buffer.from(serializePcap([rec], { linkType: 1 }));
    expect(us.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect(us.readUInt32LE(24 + 4)).toBe(987654);
    const ns = Buffer.from(serializePcap([rec], { linkType: 276, nanosecond: true }));
    expect(ns.readUInt32LE(0)).toBe(0xa1b23c4d);
    expect(ns.readUInt32LE(20)).toBe(276);
    expect(ns.readUInt32LE(24 + 4)).toBe(987654321);
  });

  test('pcapng: SHB, one IDB per interface, EPB with 64-bit ticks in the interface resolution', () => {
    const buf = Buffer.from(serializePcapng([{ ...rec, interfaceId: 1 }], [{ linkType: 1, tsresol: 6, name: 'eth0' }, { linkType: 101, tsresol: 9, name: 'tun0' }]));
    expect(buf.readUInt32LE(0)).toBe(0x0a0d0d0a);
    let off = buf.readUInt32LE(4);
    const blocks: number[] = [buf.readUInt32LE(0)];
    let epb = -1;
    while (off < buf.length) {
      blocks.push(buf.readUInt32LE(off));
      if (buf.readUInt32LE(off) === 6) epb = off;
      off += buf.readUInt32LE(off + 4);
    }
    expect(blocks).toEqual([0x0a0d0d0a, 1, 1, 6]);
    expect(off).toBe(buf.length);
    const ticks = (BigInt(buf.readUInt32LE(epb + 12)) << 32n) | BigInt(buf.readUInt32LE(epb + 16));
    expect(ticks).toBe(rec.tsNs);
  });
});

