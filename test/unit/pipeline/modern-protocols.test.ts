/**
 * Issue 7 in the pipeline (synthetic raw-IP pcaps through the real pipeline): JA3/JA4 on TLS and
 * QUIC flows, the ECH flag and `ech_config` from an earlier HTTPS answer, `encrypted_dns` for DoT,
 * DoH and DoQ, and content-based identification of a protocol on an unexpected port (TLS, HTTP
 * and SSH on TCP 53, QUIC on UDP 53, plain DNS on UDP 5300).
 */
import { Scenario } from './scenario';
import { A as ANOMALY } from '../../../src/anomalies';
import { dnsMessage, DNS_A, httpGet, ascii } from '../../helpers/packets';
import { clientHelloMessage, concat, ext, records, tls13Grease } from '../../unit/extract/helpers/tls-builder';
import { cryptoFrame, fakeClientHello, protectInitial } from '../../unit/extract/helpers/quic-protect';
import { deriveClientInitialKeys, quicVersionInfo } from '../../../src/extract/quic-initial';
import { parseClientHelloRecords } from '../../../src/extract/tls-client-hello';
import { ja3, ja4 } from '../../../src/extract/tls-fingerprint';
import type { FlowRecord } from '../../../src/report/records';

const DEV = '192.168.1.10';
const RESOLVER = '192.168.1.1';
const only = (flows: FlowRecord[], ip: string, port: number, devicePort?: number): FlowRecord => {
  const f = flows.filter((x) => x.remote_ip === ip && x.remote_port === port && (devicePort === undefined || x.device_port === devicePort));
  if (f.length !== 1) throw new Error(`expected one flow to ${ip}:${port}, got ${f.length}`);
  return f[0];
};
void ANOMALY;

/** An HTTPS (type 65) answer for `name`: priority 1, target ".", SvcParams alpn=h2 and ech (RFC 9460 §2.2, §7). */
function httpsAnswerWithEch(id: number, name: string): Uint8Array {
  const labels = (n: string) => concat(...n.split('.').map((l) => concat(Uint8Array.of(l.length), ascii(l))), Uint8Array.of(0));
  const u16 = (n: number) => Uint8Array.of(n >> 8, n & 0xff);
  const alpn = concat(u16(1), u16(3), Uint8Array.of(2), ascii('h2'));
  const echConfig = Uint8Array.of(0x00, 0x04, 0xfe, 0x0d, 0x00, 0x00);
  const ech = concat(u16(5), u16(echConfig.length), echConfig);
  const rdata = concat(u16(1), Uint8Array.of(0), alpn, ech);
  return concat(
    u16(id), u16(0x8180), u16(1), u16(1), u16(0), u16(0), labels(name), u16(65), u16(1),
    labels(name), u16(65), u16(1), Uint8Array.of(0, 0, 1, 0x2c), u16(rdata.length), rdata,
  );
}

/** A QUIC v1 client Initial carrying `hello` in one CRYPTO frame, padded to 1200 bytes (RFC 9000 §14.1). */
function quicInitial(hello: Uint8Array): Buffer {
  const dcid = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  const keys = deriveClientInitialKeys(quicVersionInfo(1)!, dcid);
  return protectInitial({ version: 1, typeBits: 0, dcid, packetNumber: 0, pnLength: 2, payload: cryptoFrame(0, hello), padTo: 1180 }, keys);
}

describe('fingerprints', () => {
  test('a TLS flow carries the JA3 hash and JA4 of its ClientHello', () => {
    const bytes = records(clientHelloMessage(tls13Grease('api.vendor.example')));
    const s = new Scenario().tcp(0, DEV, 50000, '203.0.113.10', 443, bytes);
    const f = only(s.run().flows, '203.0.113.10', 443);
    const r = parseClientHelloRecords(bytes, 0, bytes.length);
    if (r.kind !== 'found') throw new Error('builder hello did not parse');
    expect(f.ja3).toBe(ja3(r.hello).hash);
    expect(f.ja4).toBe(ja4(r.hello, 'tcp'));
    expect(f.ja4).toMatch(/^t13d/);
  });

  test('a QUIC flow gets a JA4 starting with q', () => {
    const s = new Scenario().udp(0, DEV, 50001, '203.0.113.11', 443, quicInitial(fakeClientHello('q.vendor.example')));
    const f = only(s.run().flows, '203.0.113.11', 443);
    expect(f.app).toBe('quic');
    expect(f.ja4).toMatch(/^q/);
    expect(f.ja3).toMatch(/^[0-9a-f]{32}$/);
  });

  test('flows without a ClientHello have no fingerprint', () => {
    const s = new Scenario().tcp(0, DEV, 50002, '203.0.113.12', 80, httpGet('a.example'));
    const f = only(s.run().flows, '203.0.113.12', 80);
    expect(f.ja3).toBeUndefined();
    expect(f.ja4).toBeUndefined();
  });
});

describe('QUIC: the hello after a version the tool cannot decrypt, and a client on a port taken for a service', () => {
  const dcid = Uint8Array.from([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
  const scid = Uint8Array.from([0xa1, 0xa2, 0xa3, 0xa4]);
  const initial = (version: number, sni: string, salt = version): Buffer =>
    protectInitial({ version, typeBits: 0, dcid, scid, packetNumber: 0, pnLength: 2, payload: cryptoFrame(0, fakeClientHello(sni)), padTo: 1180 },
      deriveClientInitialKeys(quicVersionInfo(salt)!, dcid));
  /** Version Negotiation (RFC 9000 §17.2.1): version 0, the client's connection IDs swapped, the server's versions. */
  const versionNegotiation = (): Buffer => Buffer.concat([
    Buffer.from([0x80 | 0x2a, 0, 0, 0, 0, scid.length]), Buffer.from(scid), Buffer.from([dcid.length]), Buffer.from(dcid),
    Buffer.from([0, 0, 0, 1, 0x6b, 0x33, 0x43, 0xcf]),
  ]);

  test('an Initial of a version it cannot decrypt, Version Negotiation, then a v1 Initial on the same socket: named by the v1 hello (RFC 9000 §6.2)', () => {
    const first = Buffer.from(initial(1, 'unseen.example'));
    first.writeUInt32BE(0x709a50c4, 1); // a version the tool has no keys for (an old v2 draft)
    const s = new Scenario()
      .udp(0, DEV, 51000, '203.0.113.30', 443, first)
      .udp(1, '203.0.113.30', 443, DEV, 51000, versionNegotiation())
      .udp(2, DEV, 51000, '203.0.113.30', 443, initial(1, 'after-vn.vendor.example'));
    const f = only(s.run().flows, '203.0.113.30', 443);
    expect(f).toMatchObject({ app: 'quic', sni: 'after-vn.vendor.example', name: 'after-vn.vendor.example', quic_version: '0x00000001' });
    expect(f.unnamed_reason ?? null).toBeNull();
  });

  test('an Initial that does not decrypt, Version Negotiation, then an Initial that does: named by the second', () => {
    const damaged = Buffer.from(initial(0x3a4a5a6a, 'lost.example', 0x3a4a5a6a));
    damaged[damaged.length - 1] ^= 0xff; // the AEAD tag no longer matches under either salt
    const s = new Scenario()
      .udp(0, DEV, 51003, '203.0.113.33', 443, damaged)
      .udp(1, '203.0.113.33', 443, DEV, 51003, versionNegotiation())
      .udp(2, DEV, 51003, '203.0.113.33', 443, initial(1, 'second-try.vendor.example'));
    expect(only(s.run().flows, '203.0.113.33', 443)).toMatchObject({ app: 'quic', sni: 'second-try.vendor.example', anomalies: [] });
  });

  test('a reserved-version Initial no key opens, sent twice before Version Negotiation, then a v1 Initial: named by the v1 hello', () => {
    const damaged = Buffer.from(initial(0x3a4a5a6a, 'lost.example', 0x3a4a5a6a));
    damaged[damaged.length - 1] ^= 0xff;
    const s = new Scenario()
      .udp(0, DEV, 51004, '203.0.113.34', 443, damaged)
      .udp(300, DEV, 51004, '203.0.113.34', 443, damaged) // the client's retransmission
      .udp(301, '203.0.113.34', 443, DEV, 51004, versionNegotiation())
      .udp(302, DEV, 51004, '203.0.113.34', 443, initial(1, 'third-try.vendor.example'));
    expect(only(s.run().flows, '203.0.113.34', 443)).toMatchObject({ app: 'quic', sni: 'third-try.vendor.example', quic_version: '0x00000001' });
  });

  test('a reserved version (0x?a?a?a?a, forcing negotiation) is read with draft-29\'s salt or with v1\'s, as quic-go protects it', () => {
    const s = new Scenario()
      .udp(0, DEV, 51001, '203.0.113.31', 443, initial(0x1a2a3a4a, 'v1-salt.vendor.example', 1))
      .udp(1, DEV, 51002, '203.0.113.31', 443, initial(0x1a2a3a4a, 'd29-salt.vendor.example', 0xff00001d));
    const flows = s.run().flows;
    expect(only(flows, '203.0.113.31', 443, 51001)).toMatchObject({ app: 'quic', sni: 'v1-salt.vendor.example' });
    expect(only(flows, '203.0.113.31', 443, 51002)).toMatchObject({ app: 'quic', sni: 'd29-salt.vendor.example' });
  });

  test('a client whose ephemeral port is a service\'s (44158, 8080) sends the Initial: it is the client', () => {
    const s = new Scenario()
      .udp(0, DEV, 44158, '203.0.113.32', 4433, initial(1, 'eph.vendor.example'))
      .udp(1, '203.0.113.32', 4433, DEV, 44158, Buffer.alloc(60, 0x40));
    const [f] = s.run([DEV]).flows;
    expect(f).toMatchObject({
      direction: 'egress', device_port: 44158, remote_port: 4433, initiator_by: 'quic-initial',
      app: 'quic', sni: 'eph.vendor.example', name: 'eph.vendor.example', packets_out: 1, packets_in: 1,
    });
  });
});

describe('QUIC: later connections on the same 5-tuple (a client reusing its socket)', () => {
  const cid = (b: number): Uint8Array => Uint8Array.from([b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7]);
  /** A v1 Initial under the keys of `keyDcid`, carrying `payload`, sent with `dcid` as its DCID. */
  const packet = (dcid: Uint8Array, keyDcid: Uint8Array, pn: number, payload: Uint8Array): Buffer =>
    protectInitial({ version: 1, typeBits: 0, dcid, packetNumber: pn, pnLength: 2, payload, padTo: 1180 },
      deriveClientInitialKeys(quicVersionInfo(1)!, keyDcid));
  const hello = (dcid: Uint8Array, sni: string): Buffer => packet(dcid, dcid, 0, cryptoFrame(0, fakeClientHello(sni)));
  /** The client's acknowledgement of the server's Initial: the server's connection ID as DCID, the first DCID's keys. */
  const ack = (serverCid: Uint8Array, firstDcid: Uint8Array, pn: number): Buffer =>
    packet(serverCid, firstDcid, pn, Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00));
  const server = Buffer.alloc(200, 0x40);

  test('a second connection\'s hello adds its server name to the flow\'s names (a pack judges every one)', () => {
    const a = cid(0x10);
    const b = cid(0x30);
    const s = new Scenario()
      .udp(0, DEV, 52000, '203.0.113.50', 443, hello(a, 'api.vendor.example'))
      .udp(1, '203.0.113.50', 443, DEV, 52000, server)
      .udp(2, DEV, 52000, '203.0.113.50', 443, ack(cid(0x90), a, 1))
      .udp(3, DEV, 52000, '203.0.113.50', 443, Buffer.from([0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9]))
      .udp(10, DEV, 52000, '203.0.113.50', 443, hello(b, 'other.attacker.example'))
      .udp(11, '203.0.113.50', 443, DEV, 52000, server)
      .udp(12, DEV, 52000, '203.0.113.50', 443, ack(cid(0xa0), b, 1));
    const r = s.run();
    const f = only(r.flows, '203.0.113.50', 443);
    expect(f).toMatchObject({ app: 'quic', sni: 'api.vendor.example', name: 'api.vendor.example', name_source: 'quic-sni', anomalies: [] });
    expect(f.names).toEqual([
      { name: 'api.vendor.example', source: 'quic-sni' },
      { name: 'other.attacker.example', source: 'quic-sni' },
    ]);
    expect(r.summary.anomalies).toEqual({});
  });

  test('the first connection\'s own later Initials and retransmissions add nothing, and a later hello split over two Initials is put together', () => {
    const a = cid(0x10);
    const b = cid(0x50);
    const long = fakeClientHello('split.vendor.example', 1500);
    const s = new Scenario()
      .udp(0, DEV, 52001, '203.0.113.51', 443, hello(a, 'first.vendor.example'))
      .udp(1, DEV, 52001, '203.0.113.51', 443, hello(a, 'first.vendor.example')) // a retransmission
      .udp(2, DEV, 52001, '203.0.113.51', 443, ack(cid(0x90), a, 1))
      .udp(3, DEV, 52001, '203.0.113.51', 443, ack(cid(0x90), a, 2))
      .udp(20, DEV, 52001, '203.0.113.51', 443, packet(b, b, 0, cryptoFrame(0, long.subarray(0, 1000))))
      .udp(21, DEV, 52001, '203.0.113.51', 443, packet(b, b, 1, cryptoFrame(1000, long.subarray(1000))));
    const f = only(s.run().flows, '203.0.113.51', 443);
    expect(f.names.map((n) => n.name)).toEqual(['first.vendor.example', 'split.vendor.example']);
    expect(f.anomalies).toEqual([]);
  });
});

describe('QUIC: a capture that does not begin with the client\'s first Initial (found with ngtcp2 in a lab)', () => {
  const cid = (b: number): Uint8Array => Uint8Array.from([b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7]);
  const v1 = quicVersionInfo(1)!;
  /** A v1 client Initial whose DCID is `dcid` (keys from it), carrying a whole ClientHello for `sni`. */
  const hello = (dcid: Uint8Array, sni: string, pn = 0): Buffer =>
    protectInitial({ version: 1, typeBits: 0, dcid, scid: cid(0x70), packetNumber: pn, pnLength: 2, payload: cryptoFrame(0, fakeClientHello(sni)), padTo: 1180 }, deriveClientInitialKeys(v1, dcid));
  /** A server Initial: 1200 bytes like a client's, under the server's keys (here: keys its DCID does not give). */
  const serverInitial = (dcid: Uint8Array): Buffer =>
    protectInitial({ version: 1, typeBits: 0, dcid, scid: cid(0x90), packetNumber: 0, pnLength: 2, payload: cryptoFrame(0, Uint8Array.from([2, 0, 0, 4, 3, 3, 0, 0])), padTo: 1180 }, deriveClientInitialKeys(v1, cid(0x01)));
  /** A Retry (RFC 9000 §17.2.5): the client's SCID as DCID, the server's new ID as SCID, a token, the integrity tag. */
  const retry = (clientScid: Uint8Array, newId: Uint8Array): Buffer => Buffer.concat([
    Buffer.from([0xf0, 0, 0, 0, 1, clientScid.length]), Buffer.from(clientScid), Buffer.from([newId.length]), Buffer.from(newId),
    Buffer.alloc(40, 0x7e), Buffer.alloc(16, 0x33),
  ]);
  /** A 1-RTT packet (short header, fixed bit) of a connection already open. */
  const oneRtt = (n: number): Buffer => Buffer.concat([Buffer.from([0x41]), Buffer.from(cid(0x90)), Buffer.alloc(n, 0x5a)]);

  test('a server Initial first keeps the port\'s right guess (the client is not the server), and its missing name is the capture\'s start', () => {
    const s = new Scenario()
      .udp(0, '203.0.113.70', 443, DEV, 53000, serverInitial(cid(0x70)))
      .udp(1, DEV, 53000, '203.0.113.70', 443, oneRtt(60));
    const [f] = s.run([DEV]).flows;
    expect(f).toMatchObject({ direction: 'egress', device_ip: DEV, device_port: 53000, remote_port: 443, name: null, unnamed_reason: 'started-before-capture' });
    expect(f.initiator_by).not.toBe('quic-initial');
  });

  test('a capture that begins at the server\'s Retry: the client\'s next Initial (under the Retry\'s ID) makes it the client and names the flow', () => {
    const fresh = cid(0x40);
    const s = new Scenario()
      .udp(0, '203.0.113.71', 4435, DEV, 53001, retry(cid(0x70), fresh))
      .udp(1, DEV, 53001, '203.0.113.71', 4435, hello(fresh, 'after-retry.vendor.example', 1));
    const [f] = s.run([DEV]).flows;
    expect(f).toMatchObject({
      direction: 'egress', device_port: 53001, remote_port: 4435, initiator_by: 'quic-initial',
      app: 'quic', sni: 'after-retry.vendor.example', name: 'after-retry.vendor.example', name_source: 'quic-sni',
    });
  });

  test('short headers first (the capture began inside a connection), then a new connection on the same socket: its hello is the flow\'s', () => {
    const s = new Scenario()
      .udp(0, DEV, 53002, '203.0.113.72', 443, oneRtt(80))
      .udp(1, '203.0.113.72', 443, DEV, 53002, oneRtt(300))
      .udp(2, DEV, 53002, '203.0.113.72', 443, oneRtt(40))
      .udp(50, DEV, 53002, '203.0.113.72', 443, hello(cid(0x20), 'next.vendor.example'));
    const [f] = s.run([DEV]).flows;
    expect(f).toMatchObject({ app: 'quic', sni: 'next.vendor.example', name: 'next.vendor.example', name_source: 'quic-sni', quic_version: '0x00000001', unnamed_reason: null });
    expect(f.ja4).toMatch(/^q/);
  });

  test('short headers only: no name, said to be lost to the capture\'s start on a QUIC port, and not on another port (text protocols start with the same bits)', () => {
    const greased = oneRtt(80);
    greased[0] = 0x0c; // the fixed bit greased (RFC 9287), as ngtcp2 sends it
    const s = new Scenario()
      .udp(0, DEV, 53003, '203.0.113.73', 443, oneRtt(80))
      .udp(0, DEV, 53006, '203.0.113.73', 4433, greased)
      .udp(1, DEV, 53004, '203.0.113.73', 5060, Buffer.from('OPTIONS sip:probe@203.0.113.73 SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.10\r\n\r\n'));
    const flows = s.run([DEV]).flows;
    expect(only(flows, '203.0.113.73', 443)).toMatchObject({ app: null, name: null, unnamed_reason: 'started-before-capture' });
    expect(only(flows, '203.0.113.73', 4433)).toMatchObject({ app: null, name: null, unnamed_reason: 'started-before-capture' });
    expect(only(flows, '203.0.113.73', 5060).unnamed_reason).toBe('ip-literal');
  });

  test('more datagrams of a version without public keys than are tried, then a v1 connection on the same socket: named by the v1 hello', () => {
    const undecryptable = (i: number): Buffer => {
      const b = Buffer.from(hello(cid(0x10), 'unseen.example', i));
      b.writeUInt32BE(0x709a50c4, 1); // an old v2 draft: no keys
      return b;
    };
    const s = new Scenario();
    for (let i = 0; i < 40; i++) s.udp(i, DEV, 53005, '203.0.113.74', 443, undecryptable(i));
    s.udp(100, DEV, 53005, '203.0.113.74', 443, hello(cid(0x30), 'v1-later.vendor.example'));
    const [f] = s.run([DEV]).flows;
    expect(f).toMatchObject({ app: 'quic', sni: 'v1-later.vendor.example', name: 'v1-later.vendor.example', quic_version: '0x00000001' });
  });
});

describe('QUIC: another path of a connection read earlier (NAT rebinding, a migration that kept its connection ID)', () => {
  const cid = (b: number): Uint8Array => Uint8Array.from([b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7]);
  const clientCid = cid(0x70);
  const serverCid = cid(0x90);
  const first = cid(0x10);
  const hello = protectInitial({ version: 1, typeBits: 0, dcid: first, scid: clientCid, packetNumber: 0, pnLength: 2, payload: cryptoFrame(0, fakeClientHello('api.vendor.example')), padTo: 1180 },
    deriveClientInitialKeys(quicVersionInfo(1)!, first));
  /** A long header (v1, type bits `type`) from an end whose ID is `scid`, to `dcid`; the rest protected (random here). */
  const long = (type: number, dcid: Uint8Array, scid: Uint8Array): Buffer => Buffer.concat([
    Buffer.from([0xc0 | (type << 4), 0, 0, 0, 1, dcid.length]), Buffer.from(dcid), Buffer.from([scid.length]), Buffer.from(scid), Buffer.alloc(300, 0x5c),
  ]);
  /** A 1-RTT packet to the end whose ID is `dcid`. */
  const short = (dcid: Uint8Array): Buffer => Buffer.concat([Buffer.from([0x41]), Buffer.from(dcid), Buffer.alloc(60, 0x3a)]);
  const connection = (s: Scenario): Scenario => s
    .udp(0, DEV, 54000, '203.0.113.80', 4433, hello)
    .udp(1, '203.0.113.80', 4433, DEV, 54000, long(0, clientCid, serverCid)) // the server's Initial: its ID in the clear
    .udp(2, DEV, 54000, '203.0.113.80', 4433, long(2, serverCid, clientCid)) // the client's Handshake
    .udp(3, DEV, 54000, '203.0.113.80', 4433, short(serverCid));

  test('a new 5-tuple whose short headers carry the server\'s ID is the connection\'s path: named by its hello, quic_path_of its flow', () => {
    const r = connection(new Scenario()).udp(100, DEV, 54999, '203.0.113.80', 4433, short(serverCid)).run([DEV]);
    const original = only(r.flows, '203.0.113.80', 4433, 54000);
    expect(only(r.flows, '203.0.113.80', 4433, 54999)).toMatchObject({
      app: 'quic', name: 'api.vendor.example', name_source: 'quic-sni', quic_path_of: original.id, unnamed_reason: null, direction: 'egress',
    });
    expect(original.quic_path_of).toBeUndefined();
  });

  test('the server speaking first on the new path (to the client\'s ID) makes the other end the client', () => {
    const r = connection(new Scenario()).udp(100, '203.0.113.80', 4433, DEV, 54998, short(clientCid)).run([DEV]);
    expect(only(r.flows, '203.0.113.80', 4433, 54998)).toMatchObject({ direction: 'egress', initiator_by: 'quic-initial', name: 'api.vendor.example', quic_path_of: expect.any(Number) });
  });

  test('an ID no connection used links nothing: the path\'s name is lost to the capture\'s start', () => {
    const r = connection(new Scenario()).udp(100, DEV, 54997, '203.0.113.80', 4433, short(cid(0x33))).run([DEV]);
    const f = only(r.flows, '203.0.113.80', 4433, 54997);
    expect(f).toMatchObject({ app: null, name: null, unnamed_reason: 'started-before-capture' });
    expect(f.quic_path_of).toBeUndefined();
  });
});

describe('QUIC: later connections past the number tried', () => {
  test('Initials under more new connection IDs than are tried are said on the flow (quic.later_connections_unread), not passed over silently', () => {
    const cidOf = (n: number): Uint8Array => Uint8Array.from([0xee, n, n, n, n, n, n, n]);
    const first = cidOf(0);
    const s = new Scenario().udp(0, DEV, 52100, '203.0.113.60', 443,
      protectInitial({ version: 1, typeBits: 0, dcid: first, packetNumber: 0, pnLength: 2, payload: cryptoFrame(0, fakeClientHello('api.vendor.example')), padTo: 1180 },
        deriveClientInitialKeys(quicVersionInfo(1)!, first)));
    for (let i = 1; i <= 16; i++) {
      // Junk under a new ID each: no keys open it.
      const junk = Buffer.from(protectInitial({ version: 1, typeBits: 0, dcid: cidOf(i), packetNumber: 0, pnLength: 2, payload: cryptoFrame(0, Uint8Array.of(1)), padTo: 1180 },
        deriveClientInitialKeys(quicVersionInfo(1)!, cidOf(99))));
      s.udp(i, DEV, 52100, '203.0.113.60', 443, junk);
    }
    const r = s.run();
    const f = only(r.flows, '203.0.113.60', 443);
    expect(f).toMatchObject({ sni: 'api.vendor.example' });
    expect(f.anomalies).toEqual(['quic.later_connections_unread']);
    expect(r.summary.anomalies).toEqual({ 'quic.later_connections_unread': 1 });
  });
});

describe('Google QUIC with encrypted Initials', () => {
  test('a T051 flow is named from its decrypted ClientHello, a Q050 flow from its CHLO', () => {
    const dcid = Uint8Array.from([9, 8, 7, 6, 5, 4, 3, 2]);
    const gCrypto = (data: Uint8Array) => Buffer.concat([Buffer.from([0x08, 0x00]), Buffer.from([0x40 | (data.length >> 8), data.length & 0xff]), Buffer.from(data)]);
    const initial = (version: number, payload: Uint8Array) =>
      protectInitial({ version, typeBits: 0, dcid, packetNumber: 1, pnLength: 1, payload, padTo: 1180 }, deriveClientInitialKeys(quicVersionInfo(version)!, dcid));
    const sni = Buffer.from('gquic.vendor.example');
    const chlo = Buffer.concat([Buffer.from('CHLO'), Buffer.from([1, 0, 0, 0]), Buffer.from('SNI\0'), Buffer.from([sni.length, 0, 0, 0]), sni]);
    const s = new Scenario()
      .udp(0, DEV, 50010, '203.0.113.20', 443, initial(0x54303531, gCrypto(fakeClientHello('t051.vendor.example'))))
      .udp(1, DEV, 50011, '203.0.113.21', 443, initial(0x51303530, gCrypto(chlo)));
    const flows = s.run().flows;
    expect(only(flows, '203.0.113.20', 443)).toMatchObject({ app: 'quic', sni: 't051.vendor.example', name_source: 'quic-sni', quic_version: '0x54303531' });
    expect(only(flows, '203.0.113.21', 443)).toMatchObject({ app: 'quic', sni: 'gquic.vendor.example', name_source: 'quic-sni', quic_version: '0x51303530' });
  });
});

describe('ECH', () => {
  test('the flag is set from the ClientHello, and ech_config when DNS gave an ECH configuration for the name', () => {
    const s = new Scenario();
    s.udp(0, DEV, 40000, RESOLVER, 53, dnsMessage(1, false, 'secret.example', 65));
    s.udp(5, RESOLVER, 53, DEV, 40000, httpsAnswerWithEch(1, 'secret.example'));
    s.udp(10, DEV, 40001, RESOLVER, 53, dnsMessage(2, false, 'secret.example', DNS_A));
    s.udp(15, RESOLVER, 53, DEV, 40001, dnsMessage(2, true, 'secret.example', DNS_A, [{ name: 'secret.example', type: DNS_A, ttl: 300, data: '203.0.113.20' }]));
    const hello = records(clientHelloMessage({ ciphers: [0x1301], extensions: [ext.sni('cloudflare-ech.com'), ext.versions([0x0304]), ext.ech()] }));
    s.tcp(100, DEV, 50003, '203.0.113.20', 443, hello);
    s.tcp(200, DEV, 50004, '203.0.113.21', 443, hello);
    const out = s.run();
    const https = out.dns.find((d) => d.qtype === 'HTTPS');
    expect(https?.ech_config).toBe(true);
    const withConfig = only(out.flows, '203.0.113.20', 443);
    expect(withConfig).toMatchObject({ ech: true, ech_config: true, sni: 'cloudflare-ech.com', name: 'cloudflare-ech.com' });
    const without = only(out.flows, '203.0.113.21', 443);
    expect(without.ech).toBe(true);
    expect(without.ech_config).toBeUndefined();
  });
});

describe('encrypted DNS', () => {
  test('DoT: TLS on TCP 853; DoH: TLS to a listed resolver name', () => {
    const s = new Scenario();
    s.tcp(0, DEV, 50010, '8.8.8.8', 853, records(clientHelloMessage({ ciphers: [0x1301], extensions: [ext.alpn(['dot'])] })));
    s.tcp(50, DEV, 50011, '104.16.248.249', 443, records(clientHelloMessage({ ciphers: [0x1301], extensions: [ext.sni('mozilla.cloudflare-dns.com'), ext.alpn(['h2'])] })));
    s.tcp(100, DEV, 50012, '203.0.113.30', 443, records(clientHelloMessage(tls13Grease('www.example.com'))));
    const out = s.run();
    expect(only(out.flows, '8.8.8.8', 853).encrypted_dns).toBe('dot');
    expect(only(out.flows, '104.16.248.249', 443).encrypted_dns).toBe('doh');
    expect(only(out.flows, '203.0.113.30', 443).encrypted_dns).toBeUndefined();
  });

  test('DoQ: QUIC on UDP 853', () => {
    const s = new Scenario().udp(0, DEV, 50013, '94.140.14.14', 853, quicInitial(fakeClientHello('dns.adguard-dns.com')));
    expect(only(s.run().flows, '94.140.14.14', 853)).toMatchObject({ app: 'quic', encrypted_dns: 'doq' });
  });
});

describe('a protocol on an unexpected port is identified by content', () => {
  test('TLS, HTTP and SSH on TCP 53 are not taken for DNS', () => {
    const s = new Scenario();
    s.tcp(0, DEV, 50020, '203.0.113.40', 53, records(clientHelloMessage({ ciphers: [0x1301], extensions: [ext.sni('tunnel.example')] })));
    s.tcp(50, DEV, 50021, '203.0.113.41', 53, httpGet('web.example'));
    s.tcp(100, DEV, 50022, '203.0.113.42', 53, ascii('SSH-2.0-OpenSSH_9.6\r\n'));
    const out = s.run();
    expect(only(out.flows, '203.0.113.40', 53)).toMatchObject({ app: 'tls', sni: 'tunnel.example' });
    expect(only(out.flows, '203.0.113.41', 53)).toMatchObject({ app: 'http', http_host: 'web.example' });
    expect(only(out.flows, '203.0.113.42', 53).app).toBe('ssh');
    expect(out.dns).toEqual([]);
  });

  test('DNS over TCP 53 is still DNS', () => {
    const q = dnsMessage(9, false, 'a.example', DNS_A);
    const s = new Scenario().tcp(0, DEV, 50023, RESOLVER, 53, concat(Uint8Array.of(q.length >> 8, q.length & 0xff), q));
    const out = s.run();
    expect(only(out.flows, RESOLVER, 53).app).toBe('dns');
    expect(out.dns.map((d) => d.qname)).toEqual(['a.example']);
  });

  test('QUIC on UDP 53', () => {
    const s = new Scenario().udp(0, DEV, 50024, '203.0.113.43', 53, quicInitial(fakeClientHello('hidden.example')));
    expect(only(s.run().flows, '203.0.113.43', 53)).toMatchObject({ app: 'quic', sni: 'hidden.example' });
  });

  test('plain DNS on UDP 5300: app dns, and its query and answer are reported', () => {
    const s = new Scenario();
    s.udp(0, DEV, 40100, '203.0.113.44', 5300, dnsMessage(3, false, 'c2.example', DNS_A));
    s.udp(5, '203.0.113.44', 5300, DEV, 40100, dnsMessage(3, true, 'c2.example', DNS_A, [{ name: 'c2.example', type: DNS_A, ttl: 60, data: '203.0.113.99' }]));
    const out = s.run();
    expect(only(out.flows, '203.0.113.44', 5300)).toMatchObject({ app: 'dns', dns_names: ['c2.example'] });
    expect(out.dns).toHaveLength(1);
    expect(out.dns[0]).toMatchObject({ qname: 'c2.example', server_port: 5300, rcode: 'NOERROR' });
  });

  test('other UDP payloads on other ports are not taken for DNS', () => {
    const s = new Scenario().udp(0, DEV, 40101, '203.0.113.45', 5300, ascii('hello there, not dns at all'));
    expect(only(s.run().flows, '203.0.113.45', 5300).app).toBeNull();
  });
});
