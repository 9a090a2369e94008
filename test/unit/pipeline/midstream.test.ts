/**
 * Connections that began before the capture: when the first client bytes seen are from the
 * middle of the stream (a body's tail, a response being uploaded), the next client segment that
 * starts an HTTP request is read from there on, within a bound; a request from the side taken
 * as the server (the first packet seen was the server's) makes that side the client; a client
 * segment that starts a ClientHello record is read as the hello (a STARTTLS caught mid-dialogue);
 * a connection whose start was captured is judged by its first bytes only.
 */
import { Scenario } from './scenario';
import { ascii, tcpPacket, TCP_ACK, TCP_PSH } from '../../helpers/packets';
import { clientHelloMessage, concat, ext, records } from '../extract/helpers/tls-builder';

const DEV = '192.0.2.10';
const SRV = '198.51.100.5';

/** Client bytes cut into the given pieces, one segment each. */
function pieces(...parts: Uint8Array[]): { bytes: Uint8Array; segments: [number, number][] } {
  const segments: [number, number][] = [];
  let at = 0;
  for (const p of parts) { segments.push([at, p.length]); at += p.length; }
  return { bytes: concat(...parts), segments };
}

const request = (host: string, path = '/'): Uint8Array => ascii(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: dev/1\r\n\r\n`);

test('first seen mid-body: the next request names the flow, and the requests after it are read too', () => {
  const { bytes, segments } = pieces(ascii('"reading": 21.5, "unit": "C"}\r\n'), request('api.example.com', '/a'), request('cdn.example.com', '/b'));
  const [f] = new Scenario().tcp(0, DEV, 40000, SRV, 80, bytes, { handshake: false, segments }).run([DEV]).flows;
  expect(f).toMatchObject({ app: 'http', http_host: 'api.example.com', name: 'api.example.com', name_source: 'http-host', syn_seen: false });
  expect(f.names).toContainEqual({ name: 'cdn.example.com', source: 'http-host' });
});

test('first seen with two bytes too few to judge, then a request in the next segment', () => {
  const { bytes, segments } = pieces(ascii('}\n'), request('api.example.com'));
  const [f] = new Scenario().tcp(0, DEV, 40001, SRV, 80, bytes, { handshake: false, segments }).run([DEV]).flows;
  expect(f).toMatchObject({ app: 'http', http_host: 'api.example.com' });
});

test('a request head that begins mid-capture and spans two segments', () => {
  const req = request('split.example.com');
  const { bytes, segments } = pieces(ascii('tail of an upload....'), req.subarray(0, 20), req.subarray(20));
  const [f] = new Scenario().tcp(0, DEV, 40002, SRV, 80, bytes, { handshake: false, segments }).run([DEV]).flows;
  expect(f).toMatchObject({ app: 'http', http_host: 'split.example.com' });
});

test('mid-stream TLS application data stays unnamed: started before the capture', () => {
  const record = concat(Uint8Array.of(0x17, 0x03, 0x03, 0x00, 0x20), new Uint8Array(32).fill(0x5a));
  const parts = Array.from({ length: 40 }, () => record);
  const { bytes, segments } = pieces(...parts);
  const [f] = new Scenario().tcp(0, DEV, 40003, SRV, 443, bytes, { handshake: false, segments }).run([DEV]).flows;
  expect(f).toMatchObject({ app: null, name: null, unnamed_reason: 'started-before-capture', packets_out: 40 + 2 });
});

test('the look is bounded: a request after 32 other client segments is not read', () => {
  const filler = ascii('0123456789abcdef');
  const late = pieces(...Array.from({ length: 33 }, () => filler), request('late.example.com'));
  const [f] = new Scenario().tcp(0, DEV, 40004, SRV, 80, late.bytes, { handshake: false, segments: late.segments }).run([DEV]).flows;
  expect(f).toMatchObject({ app: null, http_host: null });
  const inTime = pieces(...Array.from({ length: 31 }, () => filler), request('late.example.com'));
  const [g] = new Scenario().tcp(0, DEV, 40005, SRV, 80, inTime.bytes, { handshake: false, segments: inTime.segments }).run([DEV]).flows;
  expect(g).toMatchObject({ app: 'http', http_host: 'late.example.com' });
});

test('a connection whose SYN was captured is judged by its first bytes: a request later on a binary stream is not looked for', () => {
  const { bytes, segments } = pieces(Uint8Array.of(0x00, 0x01, 0x02, 0x03, 0x04, 0x05), request('api.example.com'));
  const [f] = new Scenario().tcp(0, DEV, 40006, SRV, 80, bytes, { segments }).run([DEV]).flows;
  expect(f).toMatchObject({ app: null, http_host: null, syn_seen: true });
});

test('first seen from the server (a response, ports that name no service): the request from the other side makes that side the client', () => {
  const s = new Scenario();
  // Server-first order, neither 8088 nor 40000 a known service port: the first-packet guess is wrong.
  s.at(0, tcpPacket({ src: SRV, dst: DEV, sport: 8088, dport: 40000, flags: TCP_ACK | TCP_PSH, seq: 100, ack: 500, payload: ascii('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok') }));
  s.at(1, tcpPacket({ src: DEV, dst: SRV, sport: 40000, dport: 8088, flags: TCP_ACK | TCP_PSH, seq: 500, ack: 140, payload: request('late.example.com', '/x') }));
  s.at(2, tcpPacket({ src: SRV, dst: DEV, sport: 8088, dport: 40000, flags: TCP_ACK | TCP_PSH, seq: 140, ack: 560, payload: ascii('HTTP/1.1 204 No Content\r\n\r\n') }));
  s.at(3, tcpPacket({ src: DEV, dst: SRV, sport: 40000, dport: 8088, flags: TCP_ACK | TCP_PSH, seq: 560, ack: 167, payload: request('next.example.com', '/y') }));
  for (const devices of [[DEV], []]) {
    const [f] = s.run(devices).flows;
    expect(f).toMatchObject({
      device_ip: DEV, device_port: 40000, remote_ip: SRV, remote_port: 8088, direction: 'egress',
      app: 'http', http_host: 'late.example.com', initiator_by: 'http-request', packets_out: 2, packets_in: 2,
    });
    expect(f.names).toContainEqual({ name: 'next.example.com', source: 'http-host' });
  }
});

test('a request from the side taken as the server does not swap a connection the port heuristic decided', () => {
  // 8080 is a service port: the device on 40001 is the client whoever spoke first.
  const s = new Scenario();
  s.at(0, tcpPacket({ src: SRV, dst: DEV, sport: 8080, dport: 40001, flags: TCP_ACK | TCP_PSH, seq: 100, ack: 500, payload: request('odd.example.com') }));
  const [f] = s.run([DEV]).flows;
  expect(f).toMatchObject({ device_port: 40001, remote_port: 8080, initiator_by: 'port-heuristic', http_host: null });
});

describe('a mail dialogue caught before its STARTTLS, on a port that names no service (2525)', () => {
  const hello = records(clientHelloMessage({ ciphers: [0x1301], extensions: [ext.sni('mail-relay.example.com'), ext.versions([0x0304])] }));

  test('the ClientHello after the dialogue names the flow, whole or cut inside its record header', () => {
    for (const split of [false, true]) {
      const helloParts = split ? [hello.subarray(0, 7), hello.subarray(7)] : [hello];
      // Caught after EHLO and STARTTLS: the first client bytes seen are a later command.
      const { bytes, segments } = pieces(ascii('NOOP\r\n'), ...helloParts);
      const [f] = new Scenario().tcp(0, DEV, 40010, SRV, 2525, bytes, { handshake: false, segments }).run([DEV]).flows;
      expect(f).toMatchObject({ app: 'tls', sni: 'mail-relay.example.com', name: 'mail-relay.example.com', http_host: null, syn_seen: false });
    }
    // With EHLO and STARTTLS in view the upgrade itself is seen: app smtp, the same name.
    const { bytes, segments } = pieces(ascii('EHLO device.example.com\r\n'), ascii('STARTTLS\r\n'), hello);
    const [g] = new Scenario().tcp(0, DEV, 40013, SRV, 2525, bytes, { handshake: false, segments }).run([DEV]).flows;
    expect(g).toMatchObject({ app: 'smtp', sni: 'mail-relay.example.com', http_host: null });
  });

  test('a request line without an HTTP version (EHLO, an IMAP command) mid-stream is not taken for HTTP; one with a version is', () => {
    const { bytes, segments } = pieces(ascii('QUIT\r\n'), ascii('EHLO relay.example.com\r\n'), ascii('A1 LOGIN x y\r\n'));
    const [f] = new Scenario().tcp(0, DEV, 40011, SRV, 2525, bytes, { handshake: false, segments }).run([DEV]).flows;
    expect(f).toMatchObject({ app: null, http_host: null });
    const v = pieces(ascii('tail\r\n'), ascii('GET /x http/1.1\r\nHost: lower.example.com\r\n\r\n'));
    const [g] = new Scenario().tcp(0, DEV, 40012, SRV, 2525, v.bytes, { handshake: false, segments: v.segments }).run([DEV]).flows;
    expect(g).toMatchObject({ app: 'http', http_host: 'lower.example.com' });
  });
});
