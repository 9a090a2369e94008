/**
 * The h2c client stream reader: real client streams written by Node's HTTP/2 implementation
 * (nghttp2: Huffman coding, dynamic-table indexing and eviction) over an in-memory socket, frame
 * layouts nghttp2 does not write (padding, priority, CONTINUATION), every framing error, streams
 * cut anywhere, and a "never throws" property.
 */
import * as http2 from 'http2';
import { Duplex } from 'stream';
import fc from 'fast-check';
import { A } from '../../../src/anomalies';
import { H2_PREFACE, readH2ClientStream, startsH2Preface } from '../../../src/extract/http2-client';

/** The bytes an HTTP/2 client (Node's, prior knowledge) writes for `requests`, nothing sent back. */
async function nghttp2ClientStream(requests: http2.OutgoingHttpHeaders[]): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  const socket = new Duplex({
    read() { /* the server never answers */ },
    write(chunk: Buffer, _enc, cb) { chunks.push(Buffer.from(chunk)); cb(); },
  });
  const session = http2.connect('http://placeholder.invalid', { createConnection: () => socket });
  session.on('error', () => undefined);
  for (const r of requests) {
    const stream = session.request(r);
    stream.on('error', () => undefined);
    stream.end();
  }
  // Frames are written on later turns of the event loop; a bounded number of turns suffices.
  const headersWanted = requests.length;
  for (let i = 0; i < 200 && countHeaders(Buffer.concat(chunks)) < headersWanted; i++) await new Promise((r) => setImmediate(r));
  session.destroy();
  return Uint8Array.from(Buffer.concat(chunks));
}

function countHeaders(b: Buffer): number {
  let p = H2_PREFACE.length;
  let n = 0;
  while (b.length - p >= 9) {
    const len = b.readUIntBE(p, 3);
    if (b[p + 3] === 1) n++;
    p += 9 + len;
  }
  return n;
}

const frame = (type: number, flags: number, stream: number, payload: number[] | Uint8Array): number[] =>
  [(payload.length >> 16) & 0xff, (payload.length >> 8) & 0xff, payload.length & 0xff, type, flags, (stream >>> 24) & 0x7f, (stream >> 16) & 0xff, (stream >> 8) & 0xff, stream & 0xff, ...payload];
const SETTINGS = frame(4, 0, 0, [0, 3, 0, 0, 0, 100]);
/** A block of :method GET, :scheme http, :path /, then :authority `a` as a literal without indexing. */
const block = (a: string): number[] => [0x82, 0x86, 0x84, 0x01, a.length, ...Buffer.from(a, 'latin1')];
const stream = (...parts: number[][]): Uint8Array => Uint8Array.from([...H2_PREFACE, ...parts.flat()]);
const read = (b: Uint8Array) => readH2ClientStream(b, 0, b.length);

describe('client streams written by nghttp2 (Node http2)', () => {
  test('one request: its :authority, lowercased, without the port', async () => {
    const b = await nghttp2ClientStream([{ ':authority': 'Api.Example.COM:8080', ':path': '/v1/telemetry', 'user-agent': 'grpc-node/1.9' }]);
    expect(read(b)).toEqual({ kind: 'requests', authorities: ['api.example.com'], requests: 1, anomaly: -1 });
  });

  test('many requests, distinct authorities and large headers: the dynamic table evicts, and every authority is read right', async () => {
    const reqs: http2.OutgoingHttpHeaders[] = [];
    const want: string[] = [];
    for (let i = 0; i < 12; i++) {
      const host = `node${i}.example.net`;
      reqs.push({ ':authority': host, ':path': `/${i}`, 'x-pad': `${'p'.repeat(300 + i)}\u00e9\u00ff`, 'x-n': String(i) });
      if (i % 3 === 0) reqs.push({ ':authority': host, ':path': '/again' }); // indexed from the table
      want.push(host);
    }
    const b = await nghttp2ClientStream(reqs);
    expect(read(b)).toEqual({ kind: 'requests', authorities: want, requests: reqs.length, anomaly: -1 });
  });

  test('an IPv6 literal authority loses its brackets and port', async () => {
    const b = await nghttp2ClientStream([{ ':authority': '[2001:db8::7]:50051', ':path': '/' }]);
    expect(read(b)).toMatchObject({ kind: 'requests', authorities: ['2001:db8::7'] });
  });

  test('cut anywhere before the first header block is whole: need-more, never a wrong answer', async () => {
    const b = await nghttp2ClientStream([{ ':authority': 'cut.example.org', ':path': '/' }]);
    for (let n = 0; n < b.length; n++) {
      const r = readH2ClientStream(b, 0, n);
      if (r.kind !== 'need-more') expect(r).toEqual({ kind: 'requests', authorities: ['cut.example.org'], requests: 1, anomaly: -1 });
    }
    expect(readH2ClientStream(b, 0, b.length - 1).kind).toBe('need-more'); // the HEADERS frame is the last
  });
});

describe('frame layouts', () => {
  test('PADDED and PRIORITY flags are stripped before the block', () => {
    const payload = [3, 0x80, 0, 0, 1, 15, ...block('padded.example'), 0, 0, 0];
    expect(read(stream(SETTINGS, frame(1, 0x4 | 0x8 | 0x20, 1, payload)))).toMatchObject({ authorities: ['padded.example'] });
  });

  test('a block split over HEADERS and two CONTINUATION frames, with a WINDOW_UPDATE before it', () => {
    const b = block('split.example.com');
    const s = stream(SETTINGS, frame(8, 0, 0, [0, 0, 0x10, 0]), frame(1, 0, 1, b.slice(0, 5)), frame(9, 0, 1, b.slice(5, 12)), frame(9, 0x4, 1, b.slice(12)));
    expect(read(s)).toEqual({ kind: 'requests', authorities: ['split.example.com'], requests: 1, anomaly: -1 });
    expect(readH2ClientStream(s, 0, s.length - 1).kind).toBe('need-more');
  });

  test('a Host field names the server when there is no :authority', () => {
    const hostOnly = [0x82, 0x86, 0x84, 0x0f, 0x17, 12, ...Buffer.from('Host.Example')];
    expect(read(stream(SETTINGS, frame(1, 0x4, 1, hostOnly)))).toMatchObject({ authorities: ['host.example'] });
  });

  test('a request without either still counts, and names nothing', () => {
    expect(read(stream(SETTINGS, frame(1, 0x4, 1, [0x82, 0x86, 0x84])))).toEqual({ kind: 'requests', authorities: [], requests: 1, anomaly: -1 });
  });

  test('a bad block after a good one keeps the good one and reports the bad', () => {
    expect(read(stream(SETTINGS, frame(1, 0x4, 1, block('good.example')), frame(1, 0x4, 3, [0xff, 0x00]))))
      .toEqual({ kind: 'requests', authorities: ['good.example'], requests: 1, anomaly: A['http2.hpack_malformed'] });
  });
});

describe('what is not h2c, or breaks RFC 9113', () => {
  const MALFORMED = { kind: 'malformed', anomaly: A['http2.malformed'] };
  test.each([
    ['no SETTINGS first', stream(frame(1, 0x4, 1, block('x.example')))],
    ['SETTINGS on a stream', stream(frame(4, 0, 1, []), frame(1, 0x4, 1, block('x.example')))],
    ['a SETTINGS ACK first', stream(frame(4, 1, 0, []))],
    ['a SETTINGS length that is not whole settings', stream(frame(4, 0, 0, [0, 3, 0]))],
    ['HEADERS on stream 0', stream(SETTINGS, frame(1, 0x4, 0, block('x.example')))],
    ['HEADERS on an even (server) stream', stream(SETTINGS, frame(1, 0x4, 2, block('x.example')))],
    ['padding longer than the frame', stream(SETTINGS, frame(1, 0x4 | 0x8, 1, [200, ...block('x.example')]))],
    ['PRIORITY without its 5 bytes', stream(SETTINGS, frame(1, 0x4 | 0x20, 1, [0, 0]))],
    ['a DATA frame where a CONTINUATION must be', stream(SETTINGS, frame(1, 0, 1, [0x82]), frame(0, 0, 1, [1, 2, 3]))],
    ['a CONTINUATION of another stream', stream(SETTINGS, frame(1, 0, 1, [0x82]), frame(9, 0x4, 3, [0x86]))],
  ])('%s', (_why, s) => {
    expect(read(s)).toEqual(MALFORMED);
  });

  test('an undecodable first block', () => {
    expect(read(stream(SETTINGS, frame(1, 0x4, 1, [0xc5])))).toEqual({ kind: 'malformed', anomaly: A['http2.hpack_malformed'] });
  });

  test('"PRI" followed by other bytes is not h2c; fewer than 18 bytes of the preface decide nothing', () => {
    const notH2 = Buffer.from('PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n');
    expect(read(notH2)).toEqual({ kind: 'not-h2' });
    expect(startsH2Preface(notH2, 0, 17)).toBe(false);
    expect(startsH2Preface(notH2, 0, 18)).toBe(true);
    expect(startsH2Preface(notH2, 0, notH2.length)).toBe(false);
    expect(startsH2Preface(Buffer.from('POST / HTTP/1.1\r\n\r\n'), 0, 19)).toBe(false);
  });

  test('property: random frames after the preface, any cut: a result, never an exception', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(500), (tail, cut) => {
      const s = Uint8Array.from([...H2_PREFACE, ...SETTINGS, ...tail]);
      const r = readH2ClientStream(s, 0, Math.min(cut, s.length));
      expect(['need-more', 'requests', 'malformed', 'not-h2']).toContain(r.kind);
    }), { numRuns: 3000 });
  });
});
