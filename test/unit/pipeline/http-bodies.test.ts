/**
 * HTTP keep-alive connections: request bodies of known length are skipped, so the Host of a
 * request that follows a body is found wherever it starts — in the same segment as the body,
 * in the middle of a later one — and bytes of a body are never read as a request.
 */
import { Scenario } from './scenario';
import { ascii } from '../../helpers/packets';

const DEV = '192.168.1.10';
const SRV = '198.51.100.60';

const hostsOf = (stream: string, segments?: [number, number][]): string[] => {
  const flows = new Scenario().tcp(0, DEV, 43000, SRV, 80, ascii(stream), segments ? { segments } : {}).run([DEV]).flows;
  expect(flows).toHaveLength(1);
  return flows[0].names.filter((n) => n.source === 'http-host').map((n) => n.name);
};

const post = (host: string, body: string): string => `POST /up HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
const get = (host: string): string => `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`;

test('a request after a body in the same segment', () => {
  expect(hostsOf(post('a.example', 'x=1&y=2') + get('b.example'))).toEqual(['a.example', 'b.example']);
});

test('a body over several segments, the next request starting in the middle of the last one', () => {
  const s = post('a.example', 'z'.repeat(3000)) + get('b.example');
  const head = s.indexOf('\r\n\r\n') + 4;
  expect(hostsOf(s, [[0, head], [head, 1400], [head + 1400, s.length - head - 1400]])).toEqual(['a.example', 'b.example']);
});

test('a body that looks like a request is not read as one', () => {
  const fake = get('evil.example');
  const s = post('a.example', fake) + get('b.example');
  const head = s.indexOf('\r\n\r\n') + 4;
  // The body on its own segment starts like a request: it is skipped by its length.
  expect(hostsOf(s, [[0, head], [head, fake.length], [head + fake.length, s.length - head - fake.length]])).toEqual(['a.example', 'b.example']);
});

test('a retransmitted body segment changes nothing', () => {
  const s = post('a.example', 'q'.repeat(500)) + get('b.example');
  const head = s.indexOf('\r\n\r\n') + 4;
  expect(hostsOf(s, [[0, head], [head, 500], [head, 500], [head + 500, s.length - head - 500]])).toEqual(['a.example', 'b.example']);
});

test('a request after a chunked body in the same segment', () => {
  const chunked = 'POST /up HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n';
  expect(hostsOf(chunked + get('b.example'))).toEqual(['a.example', 'b.example']);
});

test('after a chunked body, a request that starts a segment is still found', () => {
  const chunked = 'POST /up HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n';
  expect(hostsOf(chunked + get('b.example'), [[0, chunked.length], [chunked.length, get('b.example').length]])).toEqual(['a.example', 'b.example']);
});

test('pipelined requests whose heads cross segment boundaries are all found', () => {
  const s = get('a.example') + get('b.example') + get('c.example') + get('d.example');
  const n = s.length;
  // Cuts inside the second request's Host line, inside the third's request line, and one byte before the end.
  const cuts = [40, 75, n - 1, n];
  const segments: [number, number][] = cuts.map((c, i) => [i === 0 ? 0 : cuts[i - 1], c - (i === 0 ? 0 : cuts[i - 1])]);
  expect(hostsOf(s, segments)).toEqual(['a.example', 'b.example', 'c.example', 'd.example']);
});

test('a later request head that arrives in three pieces, after a body', () => {
  const s = post('a.example', 'abc') + get('b.example');
  const start = s.length - get('b.example').length;
  expect(hostsOf(s, [[0, start + 3], [start + 3, 10], [start + 13, s.length - start - 13]])).toEqual(['a.example', 'b.example']);
});

describe('request heads off the RFC, read as tshark reads them', () => {
  const flowOf = (stream: string): ReturnType<Scenario['run']>['flows'][number] =>
    new Scenario().tcp(0, DEV, 43100, SRV, 80, ascii(stream)).run([DEV]).flows[0];

  test('two Host fields naming different hosts: both are names of the flow, flagged on it and in the summary', () => {
    const r = new Scenario().tcp(0, DEV, 43101, SRV, 80, ascii('GET / HTTP/1.1\r\nHost: cdn.vendor.example\r\nHost: evil.example\r\n\r\n')).run([DEV]);
    expect(r.flows[0]).toMatchObject({ http_host: 'cdn.vendor.example', name: 'cdn.vendor.example', anomalies: ['http.conflicting_host'] });
    expect(r.flows[0].names.map((n) => n.name)).toEqual(['cdn.vendor.example', 'evil.example']);
    expect(r.summary.anomalies).toMatchObject({ 'http.conflicting_host': 1 });
  });

  test('a request line without a version, and one with extra spaces, still name their Host', () => {
    expect(flowOf('GET /\r\nHost: old.example\r\n\r\n')).toMatchObject({ http_host: 'old.example', anomalies: ['http.malformed_request'] });
    expect(flowOf('GET  /  HTTP/1.1\r\nHost: spaced.example\r\n\r\n')).toMatchObject({ http_host: 'spaced.example', anomalies: [] });
  });

  test('a head over 16 KiB across segments (a cookie jar) is still named by the Host near its top', () => {
    const stream = `GET / HTTP/1.1\r\nHost: jar.example\r\nCookie: ${'c'.repeat(20000)}\r\n\r\n`;
    const segments: [number, number][] = [];
    for (let o = 0; o < stream.length; o += 1400) segments.push([o, Math.min(1400, stream.length - o)]);
    const [f] = new Scenario().tcp(0, DEV, 43102, SRV, 80, ascii(stream), { segments }).run([DEV]).flows;
    expect(f).toMatchObject({ app: 'http', http_host: 'jar.example', name: 'jar.example', anomalies: ['http.header_too_large'] });
  });

  test('empty lines before a request (RFC 9112 §2.2: a CRLF after a POST body) are passed over', () => {
    expect(flowOf('\r\nGET / HTTP/1.1\r\nHost: first.example\r\n\r\n')).toMatchObject({ app: 'http', http_host: 'first.example', anomalies: [] });
    expect(hostsOf(post('a.example', 'k=v') + '\r\n' + get('b.example'))).toEqual(['a.example', 'b.example']);
    const p = post('a.example', 'k=v');
    const g = get('c.example');
    // The CRLF in a segment of its own, and leading the next request's segment.
    expect(hostsOf(p + '\r\n' + g, [[0, p.length], [p.length, 2], [p.length + 2, g.length]])).toEqual(['a.example', 'c.example']);
    expect(hostsOf(p + '\r\n' + g, [[0, p.length], [p.length, g.length + 2]])).toEqual(['a.example', 'c.example']);
  });

  test('a proxy request whose Host field names another host than its absolute URI: both name the flow (tshark reports the field)', () => {
    const r = new Scenario().tcp(0, DEV, 43103, SRV, 3128, ascii('GET http://uri.example/x HTTP/1.1\r\nHost: field.example\r\n\r\n')).run([DEV]);
    expect(r.flows[0]).toMatchObject({ http_host: 'uri.example', anomalies: ['http.conflicting_host'] });
    expect(r.flows[0].names.map((n) => n.name)).toEqual(['uri.example', 'field.example']);
    expect(flowOf('GET http://same.example:8080/ HTTP/1.1\r\nHost: SAME.example:8080\r\n\r\n')).toMatchObject({ http_host: 'same.example', anomalies: [] });
  });

  test('a capture cut at 160 bytes a packet (an old snapshot length): the Host lines captured whole name the flow', () => {
    const first = `GET /a/long/path/to/something HTTP/1.1\r\nHost: snap.example\r\nUser-Agent: ${'u'.repeat(200)}\r\nAccept: */*\r\n\r\n`;
    const second = 'GET /b HTTP/1.1\r\nHost: snap2.example\r\n\r\n';
    const s = new Scenario().tcp(0, DEV, 43104, SRV, 80, ascii(first + second), { segments: [[0, first.length], [first.length, second.length]] });
    const SNAP = 160;
    for (const p of s.packets) {
      if (p.data.length > SNAP) {
        p.wireLength = p.data.length;
        p.data = p.data.subarray(0, SNAP);
      }
    }
    const [f] = s.run([DEV]).flows;
    expect(f.names.map((n) => n.name)).toEqual(['snap.example', 'snap2.example']);
    expect(f.anomalies).toContain('http.head_cut');
    // A Host line cut short names nothing (never a part of a name).
    const cutInHost = new Scenario().tcp(0, DEV, 43105, SRV, 80, ascii('GET / HTTP/1.1\r\nHost: cut-in-the-middle.example\r\n\r\n'));
    for (const p of cutInHost.packets) {
      if (p.data.length > 60) {
        p.wireLength = p.data.length;
        p.data = p.data.subarray(0, 60);
      }
    }
    expect(cutInHost.run([DEV]).flows[0]).toMatchObject({ app: 'http', http_host: null, names: [] });
  });

  test('an HTTP/1.1 request without Host is flagged http.host_missing on its flow', () => {
    expect(flowOf('GET / HTTP/1.1\r\nAccept: */*\r\n\r\n')).toMatchObject({ http_host: null, anomalies: ['http.host_missing'] });
  });
});

describe('a chunked body over several segments (an upload, pipelined requests after it)', () => {
  const chunked = (host: string, chunks: string[]): string =>
    `POST /up HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\n\r\n` + chunks.map((c) => `${c.length.toString(16)}\r\n${c}\r\n`).join('') + '0\r\n\r\n';

  test('the next request starting in the middle of a later segment is found', () => {
    const s = chunked('a.example', ['x'.repeat(2000), 'y'.repeat(900)]) + get('b.example');
    const head = s.indexOf('\r\n\r\n') + 4;
    for (const mss of [1400, 536, 97]) {
      const segments: [number, number][] = [[0, head]];
      for (let at = head; at < s.length; at += mss) segments.push([at, Math.min(mss, s.length - at)]);
      expect(hostsOf(s, segments)).toEqual(['a.example', 'b.example']);
    }
  });

  test('a request line inside the body, at a segment start, is body, not a request', () => {
    const fake = get('fake.example');
    const s = chunked('a.example', ['x'.repeat(100) + fake + 'z'.repeat(100)]) + get('b.example');
    const at = s.indexOf(fake);
    expect(hostsOf(s, [[0, at], [at, s.length - at]])).toEqual(['a.example', 'b.example']);
  });

  test('a lost segment inside the body ends the walk: a later request is found where a segment starts', () => {
    const s = chunked('a.example', ['x'.repeat(3000)]) + get('b.example');
    const next = s.indexOf('GET /');
    // bytes [1500, 2000) never captured
    expect(hostsOf(s, [[0, 1500], [2000, next - 2000], [next, s.length - next]])).toEqual(['a.example', 'b.example']);
  });
});

describe('a first segment larger than a stream head (segmentation offload on the capturing host)', () => {
  const big = post('a.example', 'z'.repeat(20000)) + get('b.example') + get('c.example');

  test('requests past the head\'s 16 KiB in the same segment are read: after a body of known length', () => {
    expect(hostsOf(big, [[0, big.length]])).toEqual(['a.example', 'b.example', 'c.example']);
  });

  test('after a chunked body, and when a request head straddles the head\'s end', () => {
    const chunkedBig = `POST /up HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n${(18000).toString(16)}\r\n${'y'.repeat(18000)}\r\n0\r\n\r\n` + get('b.example');
    expect(hostsOf(chunkedBig, [[0, chunkedBig.length]])).toEqual(['a.example', 'b.example']);
    // The second request's head starts 20 bytes before 16 KiB.
    const pad = 16384 - 20 - post('a.example', '').length;
    const straddle = post('a.example', 'w'.repeat(pad)) + get('b.example');
    expect(hostsOf(straddle, [[0, straddle.length]])).toEqual(['a.example', 'b.example']);
  });

  test('a big segment after a small first one: read whole as before', () => {
    const first = get('zero.example');
    expect(hostsOf(first + big, [[0, first.length], [first.length, big.length]])).toEqual(['zero.example', 'a.example', 'b.example', 'c.example']);
  });
});
