/**
 * The server's certificate names on a TLS flow whose hello has no SNI: read from the server's
 * TLS 1.2 flight, across segments and out of order, also after a plaintext preamble (SMTP's
 * STARTTLS, PostgreSQL's SSLRequest); not read when the hello names a server,
 * when the server picks TLS 1.3, or when the hello offers 1.3 only. The names are a fact of the
 * record, never the flow's name.
 */
import { createHash } from 'crypto';
import { Scenario } from './scenario';
import { tcpPacket, TCP_ACK, TCP_PSH, TCP_SYN } from '../../helpers/packets';
import { clientHelloMessage, ext, records as tlsRecords } from '../extract/helpers/tls-builder';
import { SAN_CERT, certificate, flight12, records, serverHello } from '../extract/helpers/tls-server';
import { concat } from '../extract/helpers/tls-builder';

const DEV = '192.0.2.10';
const SRV = '203.0.113.7';

/** A hello without SNI; `versions` as supported_versions when given. */
function hello(versions?: number[], sni?: string): Uint8Array {
  const exts = [...(sni ? [ext.sni(sni)] : []), ...(versions ? [{ type: 0x002b, data: concat(Uint8Array.of(versions.length * 2), ...versions.map((v) => Uint8Array.of(v >> 8, v & 0xff))) }] : [])];
  return tlsRecords(clientHelloMessage({ ciphers: [0xc02f, 0x1301], extensions: exts }));
}

/** A connection: handshake, the client's hello, then the server's bytes in the given [offset, length] pieces and order. */
function connection(port: number, clientHello: Uint8Array, server: Uint8Array, pieces: [number, number][]): Scenario {
  const s = new Scenario();
  const c = (ms: number, flags: number, seq: number, payload?: Uint8Array): void => { s.at(ms, tcpPacket({ src: DEV, dst: SRV, sport: port, dport: 443, flags, seq, ack: 5001, payload })); };
  const v = (ms: number, flags: number, seq: number, payload?: Uint8Array): void => { s.at(ms, tcpPacket({ src: SRV, dst: DEV, sport: 443, dport: port, flags, seq, ack: 1001 + clientHello.length, payload })); };
  c(0, TCP_SYN, 1000);
  s.at(1, tcpPacket({ src: SRV, dst: DEV, sport: 443, dport: port, flags: TCP_SYN | TCP_ACK, seq: 5000, ack: 1001 }));
  c(2, TCP_ACK, 1001);
  c(3, TCP_ACK | TCP_PSH, 1001, clientHello);
  pieces.forEach(([off, len], i) => v(10 + i, TCP_ACK | TCP_PSH, 5001 + off, server.subarray(off, off + len)));
  return s;
}

test('a hello without SNI: the names of the certificate the server sends in TLS 1.2, across segments and out of order', () => {
  const flight = records(flight12(), 600);
  const third = Math.floor(flight.length / 3);
  const [f] = connection(40001, hello(), flight, [[third, third], [0, third], [2 * third, flight.length - 2 * third]]).run([DEV]).flows;
  expect(f).toMatchObject({ app: 'tls', sni: null, name: null, unnamed_reason: 'tls-no-sni', server_cert_names: ['gateway.example.com', '*.gw.example.com'] });
  expect(f.names).toEqual([]);
});

test('an SSL 2.0-format hello (old Java, OpenSSL 0.9.8 offering TLS 1.0): app tls, fingerprints over its TLS suites, the certificate\'s names read', () => {
  const v2 = Uint8Array.from(Buffer.from('8022' + '01' + '0301' + '0009' + '0000' + '0010' + '00002f' + '000035' + '010080' + '11'.repeat(16), 'hex'));
  const flight = records(flight12(), 600);
  const [f] = connection(40010, v2, flight, [[0, flight.length]]).run([DEV]).flows;
  expect(f).toMatchObject({ app: 'tls', sni: null, unnamed_reason: 'tls-no-sni', server_cert_names: ['gateway.example.com', '*.gw.example.com'] });
  // JA3: version 769, ciphers 47-53, no extensions; JA4: TLS 1.0, no SNI, 2 ciphers, no extensions, no ALPN.
  expect(f.ja3).toBe(createHash('md5').update('769,47-53,,,').digest('hex'));
  expect(f.ja4).toMatch(/^t10i020000_[0-9a-f]{12}_000000000000$/);
});

test('not read: a hello with SNI, a server that picks TLS 1.3, a hello offering TLS 1.3 only', () => {
  const flight = records(flight12());
  const named = connection(40002, hello(undefined, 'api.example.com'), flight, [[0, flight.length]]).run([DEV]).flows[0];
  expect(named).toMatchObject({ sni: 'api.example.com' });
  expect(named.server_cert_names).toBeUndefined();
  const tls13 = records(concat(serverHello(true), certificate(SAN_CERT)));
  const picked13 = connection(40003, hello([0x0304, 0x0303]), tls13, [[0, tls13.length]]).run([DEV]).flows[0];
  expect(picked13).toMatchObject({ app: 'tls', sni: null });
  expect(picked13.server_cert_names).toBeUndefined();
  const only13 = connection(40004, hello([0x0304]), flight, [[0, flight.length]]).run([DEV]).flows[0];
  expect(only13.server_cert_names).toBeUndefined();
});

test('a server that never finishes its certificate leaves the flow as it was', () => {
  const flight = records(flight12());
  const [f] = connection(40005, hello(), flight, [[0, 200]]).run([DEV]).flows;
  expect(f).toMatchObject({ app: 'tls', sni: null, unnamed_reason: 'tls-no-sni' });
  expect(f.server_cert_names).toBeUndefined();
});

/**
 * A connection to `port` whose client and server first exchange `preamble` (alternating, client
 * first when `clientFirst`), then the client's hello and the server's flight in `pieces`.
 */
function upgraded(port: number, preamble: Uint8Array[], clientFirst: boolean, clientHello: Uint8Array, server: Uint8Array, pieces: [number, number][]): Scenario {
  const s = new Scenario();
  let cseq = 1001;
  let sseq = 5001;
  let t = 3;
  s.at(0, tcpPacket({ src: DEV, dst: SRV, sport: 40100, dport: port, flags: TCP_SYN, seq: 1000 }));
  s.at(1, tcpPacket({ src: SRV, dst: DEV, sport: port, dport: 40100, flags: TCP_SYN | TCP_ACK, seq: 5000, ack: 1001 }));
  s.at(2, tcpPacket({ src: DEV, dst: SRV, sport: 40100, dport: port, flags: TCP_ACK, seq: 1001, ack: 5001 }));
  preamble.forEach((bytes, i) => {
    const fromClient = (i % 2 === 0) === clientFirst;
    if (fromClient) { s.at(t++, tcpPacket({ src: DEV, dst: SRV, sport: 40100, dport: port, flags: TCP_ACK | TCP_PSH, seq: cseq, ack: sseq, payload: bytes })); cseq += bytes.length; }
    else { s.at(t++, tcpPacket({ src: SRV, dst: DEV, sport: port, dport: 40100, flags: TCP_ACK | TCP_PSH, seq: sseq, ack: cseq, payload: bytes })); sseq += bytes.length; }
  });
  s.at(t++, tcpPacket({ src: DEV, dst: SRV, sport: 40100, dport: port, flags: TCP_ACK | TCP_PSH, seq: cseq, ack: sseq, payload: clientHello }));
  const base = sseq;
  pieces.forEach(([off, len]) => s.at(t++, tcpPacket({ src: SRV, dst: DEV, sport: port, dport: 40100, flags: TCP_ACK | TCP_PSH, seq: base + off, ack: cseq + clientHello.length, payload: server.subarray(off, off + len) })));
  return s;
}

const ascii = (x: string): Uint8Array => Uint8Array.from(Buffer.from(x, 'latin1'));

test('after SMTP STARTTLS: the server\'s plaintext is passed over and its TLS 1.2 certificate read, out of order too', () => {
  const flight = records(flight12(), 500);
  const half = Math.floor(flight.length / 2);
  const smtp = [ascii('220 mail.example.net ESMTP\r\n'), ascii('EHLO device\r\n'), ascii('250-mail.example.net\r\n250 STARTTLS\r\n'), ascii('STARTTLS\r\n'), ascii('220 2.0.0 Ready to start TLS\r\n')];
  const [f] = upgraded(587, smtp, false, hello(), flight, [[half, flight.length - half], [0, half]]).run([DEV]).flows;
  expect(f).toMatchObject({ app: 'smtp', sni: null, name: null, server_cert_names: ['gateway.example.com', '*.gw.example.com'] });
});

test('after PostgreSQL\'s SSLRequest and the server\'s one-byte "S"', () => {
  const flight = records(flight12());
  const pg = [Uint8Array.of(0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f), ascii('S')];
  const [f] = upgraded(5432, pg, true, hello(), flight, [[0, flight.length]]).run([DEV]).flows;
  expect(f).toMatchObject({ app: 'postgresql', sni: null, server_cert_names: ['gateway.example.com', '*.gw.example.com'] });
});

test('after STARTTLS, a hello with SNI or a server that picks TLS 1.3: no certificate names', () => {
  const smtp = [ascii('220 mx\r\n'), ascii('STARTTLS\r\n'), ascii('220 go ahead\r\n')];
  const named = upgraded(25, smtp, false, hello(undefined, 'mx.example.net'), records(flight12()), [[0, records(flight12()).length]]).run([DEV]).flows[0];
  expect(named).toMatchObject({ app: 'smtp', sni: 'mx.example.net' });
  expect(named.server_cert_names).toBeUndefined();
  const tls13 = records(concat(serverHello(true), certificate(SAN_CERT)));
  const picked13 = upgraded(25, smtp, false, hello([0x0304, 0x0303]), tls13, [[0, tls13.length]]).run([DEV]).flows[0];
  expect(picked13).toMatchObject({ app: 'smtp', sni: null });
  expect(picked13.server_cert_names).toBeUndefined();
});
