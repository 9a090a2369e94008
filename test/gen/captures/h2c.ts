/**
 * HTTP/2 in cleartext (h2c, RFC 9113 §3): prior knowledge on port 80 with the header blocks of
 * RFC 7541 Appendix C.4 (Huffman-coded, the second request indexing the first's :authority
 * from the dynamic table); a gRPC-style connection on 50051 whose header block is padded,
 * prioritised and continued in a CONTINUATION frame, in three TCP segments; an HTTP/1.1
 * `Upgrade: h2c` answered with 101, then the preface and an HTTP/2 request for another
 * authority; and a header block no HPACK decoder can read.
 *
 * Test tooling only: names are example.* (RFC 2606), addresses from RFC 5737.
 */
import { H2_PREFACE } from '../../../src/extract/http2-client';
import { httpRequest } from '../packets';
import { CaptureBuilder, TcpScript, ms } from '../scenario';
import { CaptureDefinition, DEVICE_V4, DEVICE_V6, T0, device, ethernetPcap, remote } from './common';

/** An HTTP/2 frame (RFC 9113 §4.1). */
function frame(type: number, flags: number, stream: number, payload: readonly number[]): number[] {
  const n = payload.length;
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff, type, flags, (stream >>> 24) & 0x7f, (stream >> 16) & 0xff, (stream >> 8) & 0xff, stream & 0xff, ...payload];
}
const HEADERS = 0x1;
const SETTINGS = 0x4;
const WINDOW_UPDATE = 0x8;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

const hex = (s: string): number[] => [...Buffer.from(s.replace(/\s+/g, ''), 'hex')];
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];
/** HPACK literal without indexing, indexed name (RFC 7541 §6.2.2; index < 15), raw value. */
const literal = (nameIndex: number, value: string): number[] => [nameIndex, value.length, ...ascii(value)];
/** HPACK literal without indexing, new name. */
const literalNew = (name: string, value: string): number[] => [0x00, name.length, ...ascii(name), value.length, ...ascii(value)];

/** A client's SETTINGS (SETTINGS_MAX_CONCURRENT_STREAMS 100, SETTINGS_INITIAL_WINDOW_SIZE 65535) and a WINDOW_UPDATE, as curl sends them. */
const CLIENT_SETTINGS = [...frame(SETTINGS, 0, 0, hex('0003 00000064 0004 0000ffff')), ...frame(WINDOW_UPDATE, 0, 0, hex('3fff0001'))];
const SERVER_SETTINGS = [...frame(SETTINGS, 0, 0, hex('0003 00000080')), ...frame(SETTINGS, 0x1, 0, [])];
/** :status 200 (static index 8), then an empty DATA frame ending the stream. */
const response = (stream: number): number[] => [...frame(HEADERS, END_HEADERS, stream, [0x88]), ...frame(0x0, END_STREAM, stream, [])];

export const H2C_REQUESTS: CaptureDefinition = {
  file: 'h2c-requests.pcap',
  title: 'HTTP/2 in cleartext: prior knowledge (Huffman, dynamic table), CONTINUATION across segments, Upgrade: h2c, and a bad header block',
  holds: [
    'Ethernet, classic pcap, four TCP connections from 192.0.2.10, each with handshake and FIN teardown:',
    '1. to 198.51.100.20:80 with prior knowledge: the preface, SETTINGS and WINDOW_UPDATE in one segment, then the header blocks of ' +
    'RFC 7541 Appendix C.4.1 and C.4.2 on streams 1 and 3 in a second (Huffman-coded; the second takes `:authority www.example.com` ' +
    'from the dynamic table). Named `www.example.com` from `:authority`; `h2c: true`.',
    '2. to 203.0.113.50:50051 (gRPC\'s usual port; found by content): the preface and SETTINGS, then a HEADERS frame with the PADDED and ' +
    'PRIORITY flags and no END_HEADERS holding the first bytes of the block, then its CONTINUATION in a third segment with ' +
    '`:authority Telemetry.Example.NET:50051` (a literal, not Huffman-coded), `content-type application/grpc`; then a DATA frame. ' +
    'Named `telemetry.example.net`.',
    '3. to 198.51.100.21:80: `GET / HTTP/1.1` with `Host: upgrade.example.org`, `Connection: Upgrade, HTTP2-Settings`, `Upgrade: h2c`; ' +
    'the server answers `101 Switching Protocols` and HTTP/2 frames; the client sends the preface and a request on stream 3 for ' +
    '`:authority cdn.example.org`. Named `upgrade.example.org` from the Host of the upgrade request; `cdn.example.org` is among its names.',
    '4. to 198.51.100.22:80 with prior knowledge: a header block that indexes entry 69 of an empty dynamic table (RFC 7541 §2.3.3: a ' +
    'decoding error). No name; anomaly `http2.hpack_malformed`; still `app: http`, `h2c: true`.',
  ],
  builder: 'H2C_REQUESTS in test/gen/captures/h2c.ts',
  tshark: [{
    // Port 80 is HTTP, whose dissector hands the preface on to HTTP/2; 50051 needs a decode-as.
    args: ['-d', 'tcp.port==50051,http2', '-Y', 'http2.headers.authority', '-T', 'fields', '-e', 'tcp.dstport', '-e', 'http2.headers.authority'],
    output: '80\twww.example.com,www.example.com\n50051\tTelemetry.Example.NET:50051\n80\tcdn.example.org\n',
  }],
  build() {
    const b = new CaptureBuilder([{ kind: 'ethernet' }], [DEVICE_V4, DEVICE_V6]);
    const tcp = (port: number, ip: string, rport: number, isn: number): TcpScript =>
      new TcpScript(b, 0, device(port), remote(ip, rport), { clientIsn: isn, serverIsn: isn ^ 0x2c2c2c2c, rttMs: 4 });
    const bytes = (xs: readonly number[]): Uint8Array => Uint8Array.from(xs);

    // 1. Prior knowledge, RFC 7541 C.4.1 and C.4.2.
    const pk = tcp(49001, '198.51.100.20', 80, 0x11000001);
    let t = pk.handshake(T0 + ms(1));
    t = pk.send('c2s', t + ms(0.2), bytes([...H2_PREFACE, ...CLIENT_SETTINGS]));
    t = pk.send('c2s', t + ms(0.1), bytes([
      ...frame(HEADERS, END_HEADERS | END_STREAM, 1, hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff')),
      ...frame(HEADERS, END_HEADERS | END_STREAM, 3, hex('8286 84be 5886 a8eb 1064 9cbf')),
    ]));
    t = pk.send('s2c', t + ms(5), bytes([...SERVER_SETTINGS, ...response(1), ...response(3)]));
    pk.close(t + ms(3));

    // 2. gRPC-style: PADDED + PRIORITY HEADERS without END_HEADERS, CONTINUATION in the next segment.
    const grpc = tcp(49002, '203.0.113.50', 50051, 0x22000002);
    t = grpc.handshake(T0 + ms(100));
    t = grpc.send('c2s', t + ms(0.2), bytes([...H2_PREFACE, ...frame(SETTINGS, 0, 0, hex('0002 00000000'))]));
    const block = [
      0x83, 0x86, ...literal(0x04, '/telemetry.v1.Ingest/Push'), // :method POST, :scheme http, :path
      ...literal(0x01, 'Telemetry.Example.NET:50051'), // :authority
      ...literalNew('te', 'trailers'),
    ];
    const firstPart = block.slice(0, 20);
    const pad = [0, 0, 0, 0];
    t = grpc.send('c2s', t + ms(0.1), bytes(frame(HEADERS, PADDED | PRIORITY, 1, [pad.length, 0x80, 0, 0, 0, 255, ...firstPart, ...pad])));
    t = grpc.send('c2s', t + ms(0.1), bytes([
      ...frame(CONTINUATION, END_HEADERS, 1, [...block.slice(20), ...literalNew('content-type', 'application/grpc')]),
      ...frame(0x0, END_STREAM, 1, [0, 0, 0, 0, 3, 0x08, 0x96, 0x01]),
    ]));
    t = grpc.send('s2c', t + ms(5), bytes([...SERVER_SETTINGS, ...response(1)]));
    grpc.close(t + ms(3));

    // 3. HTTP/1.1 Upgrade: h2c, 101, then HTTP/2 from both sides.
    const up = tcp(49003, '198.51.100.21', 80, 0x33000003);
    t = up.handshake(T0 + ms(200));
    t = up.send('c2s', t + ms(0.2), httpRequest('GET', '/', [
      ['Host', 'upgrade.example.org'], ['Connection', 'Upgrade, HTTP2-Settings'], ['Upgrade', 'h2c'], ['HTTP2-Settings', 'AAMAAABkAAQAAP__'],
    ]));
    t = up.send('s2c', t + ms(5), bytes([...ascii('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n'), ...SERVER_SETTINGS, ...response(1)]));
    t = up.send('c2s', t + ms(1), bytes([...H2_PREFACE, ...CLIENT_SETTINGS, ...frame(HEADERS, END_HEADERS | END_STREAM, 3, [0x82, 0x86, 0x84, ...literal(0x01, 'cdn.example.org')])]));
    t = up.send('s2c', t + ms(5), bytes(response(3)));
    up.close(t + ms(3));

    // 4. A header block that indexes past the tables.
    const bad = tcp(49004, '198.51.100.22', 80, 0x44000004);
    t = bad.handshake(T0 + ms(300));
    t = bad.send('c2s', t + ms(0.2), bytes([...H2_PREFACE, ...CLIENT_SETTINGS, ...frame(HEADERS, END_HEADERS | END_STREAM, 1, [0x82, 0x86, 0x84, 0xc5])]));
    t = bad.send('s2c', t + ms(5), bytes(SERVER_SETTINGS));
    bad.close(t + ms(3));

    return ethernetPcap(this.file, b.records(), [
      pk.expect({ why: 'prior knowledge; C.4.1 names www.example.com, C.4.2 indexes it from the dynamic table', app: 'http', http_host: 'www.example.com', name: 'www.example.com', name_source: 'http-host', h2c: true, anomalies: [], syn_seen: true }),
      grpc.expect({ why: 'padded, prioritised HEADERS continued in a later segment; authority lowercased without its port', app: 'http', http_host: 'telemetry.example.net', name: 'telemetry.example.net', name_source: 'http-host', h2c: true, anomalies: [], syn_seen: true }),
      up.expect({ why: 'Upgrade: h2c; the Host of the upgrade request first, the HTTP/2 request\'s authority after it', app: 'http', http_host: 'upgrade.example.org', name: 'upgrade.example.org', name_source: 'http-host', names_include: [{ name: 'cdn.example.org', source: 'http-host' }], h2c: true, anomalies: [], syn_seen: true }),
      bad.expect({ why: 'index 69 of an empty dynamic table: an HPACK decoding error, so no name', app: 'http', http_host: null, name: null, h2c: true, anomalies: ['http2.hpack_malformed'], syn_seen: true }),
    ]);
  },
};
