/**
 * HTTP/1.x request-head extractor: every request-target form (RFC 9112 §3.2), Host handling
 * (case, port, IPv6 literal, absolute-URI precedence), pipelining, need-more / size bound,
 * one adversarial case per rule, and a fast-check "never throws" property. Corpus requests are
 * checked against tshark's http.requests[] at the end.
 */
import * as fs from 'fs';
import fc from 'fast-check';
import { A } from '../../../src/anomalies';
import { ChunkedBodyWalker, chunkedBodyLength, HttpHeadResult, MAX_BODY_LENGTH, MAX_HTTP_HEAD_LENGTH, parseHttpRequestHead, probeHttpRequest, requestLineLacksVersion } from '../../../src/extract/http-request';
import { ascii } from '../../helpers/packets';
import { describeShared, sharedPath } from '../../helpers/shared';
import { tcpDirections } from './helpers/pcap-client-streams';

const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
const parse = (s: string | Uint8Array): HttpHeadResult => {
  const b = typeof s === 'string' ? enc(s) : s;
  return parseHttpRequestHead(b, 0, b.length);
};
function req(s: string) {
  const r = parse(s);
  if (r.kind !== 'request') throw new Error(`expected request, got ${JSON.stringify(r)}`);
  return r;
}
const MALFORMED = { kind: 'malformed', anomaly: A['http.malformed_request'] };

describe('probeHttpRequest', () => {
  test.each([
    ['GET ', true], ['CONNECT ', true], ['PATCH ', true], ['M-SEARCH * HTTP/1.1', true], ['PROPFIND ', true],
    ['GE', true], // still possibly a method
    ['get / HTTP/1.1', false], // methods are case-sensitive (RFC 9110 §9.1)
    ['\x16\x03\x01', false], ['SSH-2.0-OpenSSH_9.6', false], [' GET', false], ['', false],
    ['A'.repeat(40) + ' ', false], // longer than any method token we accept
  ])('%j → %s', (s, want) => {
    const b = enc(s);
    expect(probeHttpRequest(b, 0, b.length)).toBe(want);
  });
});

describe('request forms', () => {
  test('origin-form with Host (RFC 9112 §3.2.1)', () => {
    // 0000  47 45 54 20 2f 69 6e 64 65 78 2e 68 74 6d 6c 20  GET /index.html
    // 0010  48 54 54 50 2f 31 2e 31 0d 0a 48 6f 73 74 3a 20  HTTP/1.1..Host:
    // 0020  77 77 77 2e 65 78 61 6d 70 6c 65 2e 6f 72 67 0d  www.example.org.
    // 0030  0a 0d 0a                                         ...
    const s = 'GET /index.html HTTP/1.1\r\nHost: www.example.org\r\n\r\n';
    expect(req(s)).toEqual({
      kind: 'request', method: 'GET', target: '/index.html', host: 'www.example.org', conflictingHost: null, headLength: 51,
      version: 'HTTP/1.1', hostSource: 'host-header', anomalies: [], bodyLength: 0, chunked: false,
    });
  });
  test.each(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'PATCH', 'PROPFIND', 'M-SEARCH'])('method %s', (m) => {
    expect(req(`${m} / HTTP/1.1\r\nHost: a.example\r\n\r\n`).method).toBe(m);
  });
  test('absolute-form: host from the URI wins over Host (RFC 9112 §3.2.2)', () => {
    const r = req('GET http://Proxy.Example:8080/x?y HTTP/1.1\r\nHost: other.example\r\n\r\n');
    expect(r.host).toBe('proxy.example');
    expect(r.hostSource).toBe('uri');
    expect(r.target).toBe('http://Proxy.Example:8080/x?y');
  });
  test('absolute-form with userinfo and no path', () => {
    expect(req('GET http://user:pw@h.example HTTP/1.1\r\n\r\n').host).toBe('h.example');
  });
  test('absolute-form with an IPv6 literal', () => {
    expect(req('GET http://[2001:DB8::1]:8080/ HTTP/1.1\r\nHost: x\r\n\r\n').host).toBe('2001:db8::1');
  });
  test('CONNECT authority-form (RFC 9112 §3.2.3)', () => {
    const r = req('CONNECT www.Example.com:443 HTTP/1.1\r\nHost: www.example.com:443\r\n\r\n');
    expect(r.host).toBe('www.example.com');
    expect(r.hostSource).toBe('connect');
  });
  test('CONNECT to an IPv6 literal', () => {
    expect(req('CONNECT [::1]:443 HTTP/1.1\r\n\r\n').host).toBe('::1');
  });
  test('asterisk-form uses Host', () => {
    expect(req('OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\n').host).toBe('a.example');
  });
});

describe('Host header', () => {
  test('lowercase header name, value lowercased, port stripped', () => {
    expect(req('GET / HTTP/1.1\r\nhost: WWW.Example.COM:8080\r\n\r\n').host).toBe('www.example.com');
  });
  test('mixed-case name after other fields, OWS around the value', () => {
    expect(req('GET / HTTP/1.1\r\nUser-Agent: x\r\nhOsT:\t  a.example \t\r\nAccept: */*\r\n\r\n').host).toBe('a.example');
  });
  test('IPv6 literal in brackets, with and without port', () => {
    expect(req('GET / HTTP/1.1\r\nHost: [fe80::1]:8080\r\n\r\n').host).toBe('fe80::1');
    expect(req('GET / HTTP/1.1\r\nHost: [2001:db8::2]\r\n\r\n').host).toBe('2001:db8::2');
  });
  test('HTTP/1.0 without Host: host null, no anomaly', () => {
    const r = req('GET / HTTP/1.0\r\n\r\n');
    expect(r.host).toBeNull();
    expect(r.anomalies).toEqual([]);
  });
  test('HTTP/1.1 without Host: host null, http.host_missing', () => {
    const r = req('GET / HTTP/1.1\r\nAccept: */*\r\n\r\n');
    expect(r.host).toBeNull();
    expect(r.anomalies).toEqual([A['http.host_missing']]);
  });
  test('a header that merely ends in "host" is not Host', () => {
    expect(req('GET / HTTP/1.1\r\nX-Forwarded-Host: evil.example\r\nHost: ok.example\r\n\r\n').host).toBe('ok.example');
  });
  test('two identical Host lines are tolerated', () => {
    expect(req('GET / HTTP/1.1\r\nHost: a.example\r\nHost: A.example\r\n\r\n').host).toBe('a.example');
  });
  test('non-printable bytes in Host are escaped as \\DDD', () => {
    expect(req('GET / HTTP/1.1\r\nHost: a\x01b.example\r\n\r\n').host).toBe('a\\001b.example');
  });
  test('bare LF line endings (RFC 9112 §2.2)', () => {
    const r = req('GET / HTTP/1.1\nHost: lf.example\n\n');
    expect(r.host).toBe('lf.example');
    expect(r.headLength).toBe(33);
  });
  test('a leading empty line before the request line is ignored (RFC 9112 §2.2)', () => {
    expect(req('\r\nGET / HTTP/1.1\r\nHost: a.example\r\n\r\n').headLength).toBe(37);
  });
});

describe('pipelining and incremental input', () => {
  const two = 'GET /1 HTTP/1.1\r\nHost: one.example\r\n\r\nGET /2 HTTP/1.1\r\nhost: two.example\r\n\r\n';
  test('headLength points at the next request', () => {
    const b = enc(two);
    const a = parseHttpRequestHead(b, 0, b.length);
    if (a.kind !== 'request') throw new Error();
    expect(a.host).toBe('one.example');
    const c = parseHttpRequestHead(b, a.headLength, b.length - a.headLength);
    expect(c.kind === 'request' && c.host).toBe('two.example');
    expect(c.kind === 'request' && c.target).toBe('/2');
  });
  test('every prefix before the empty line is need-more; the full head is found', () => {
    const s = 'GET /a HTTP/1.1\r\nHost: prefix.example\r\n\r\n';
    for (let cut = 0; cut < s.length; cut++) expect(parse(s.slice(0, cut)).kind).toBe('need-more');
    expect(req(s).host).toBe('prefix.example');
  });
  test('reads only [off, off+len): bytes after the window are not used', () => {
    const b = enc('xxGET / HTTP/1.1\r\nHost: w.example\r\n\r\nyy');
    expect(parseHttpRequestHead(b, 2, 30).kind).toBe('need-more');
    const r = parseHttpRequestHead(b, 2, b.length - 4);
    expect(r.kind === 'request' && r.host).toBe('w.example');
  });
  test('head larger than 16 KiB: the whole lines within it are read (Host named), flagged http.header_too_large', () => {
    const big = 'GET / HTTP/1.1\r\nHost: a.example\r\nX-Pad: ' + 'p'.repeat(MAX_HTTP_HEAD_LENGTH) + '\r\n';
    expect(parse(big)).toMatchObject({
      kind: 'request', host: 'a.example', headLength: 'GET / HTTP/1.1\r\nHost: a.example\r\n'.length,
      anomalies: [A['http.header_too_large']], bodyLength: -1, chunked: false,
    });
    // The Host after the cut is unknown: host null, and not flagged as missing.
    const late = 'GET / HTTP/1.1\r\nX-Pad: ' + 'p'.repeat(MAX_HTTP_HEAD_LENGTH) + '\r\nHost: late.example\r\n\r\n';
    expect(parse(late)).toMatchObject({ kind: 'request', host: null, anomalies: [A['http.header_too_large']] });
    // No whole line at all within the limit, or a request line that is not one: nothing to read.
    expect(parse('GET /' + 'p'.repeat(MAX_HTTP_HEAD_LENGTH) + ' HTTP/1.1\r\n\r\n')).toEqual({ kind: 'malformed', anomaly: A['http.header_too_large'] });
  });
  test('a head that completes just inside 16 KiB is accepted', () => {
    const pre = 'GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ';
    const s = pre + 'p'.repeat(MAX_HTTP_HEAD_LENGTH - pre.length - 4) + '\r\n\r\n';
    expect(s.length).toBe(MAX_HTTP_HEAD_LENGTH);
    expect(req(s).headLength).toBe(MAX_HTTP_HEAD_LENGTH);
  });
});

describe('adversarial request heads, one rule each', () => {
  test('not a method: TLS bytes → not-http', () => {
    expect(parse(Uint8Array.of(0x16, 3, 1, 0, 5))).toEqual({ kind: 'not-http' });
  });
  // The next three are not HTTP/1.x request lines as RFC 9112 writes them, but tshark 4.0 and
  // Zeek read the header fields after them and name the Host (checked with tshark on frames of
  // each shape): read, flagged http.malformed_request where the version is not 1.x.
  test('missing HTTP-version (HTTP/0.9 style): read as HTTP/0.9, flagged http.malformed_request', () => {
    expect(parse('GET /\r\nHost: old.example\r\n\r\n')).toMatchObject({
      kind: 'request', target: '/', version: 'HTTP/0.9', host: 'old.example', anomalies: [A['http.malformed_request']],
    });
    expect(parse('GET /\r\n\r\n')).toMatchObject({ kind: 'request', host: null, anomalies: [A['http.malformed_request']] });
  });
  test('HTTP/2.0 on a request line: not HTTP/1.x, flagged http.malformed_request, Host still read', () => {
    expect(parse('GET / HTTP/2.0\r\nHost: v2.example\r\n\r\n')).toMatchObject({
      kind: 'request', version: 'HTTP/2.0', host: 'v2.example', anomalies: [A['http.malformed_request']],
    });
  });
  test('runs of spaces and tabs between the parts and before the line end are word boundaries (RFC 9112 §3)', () => {
    for (const line of ['GET  / HTTP/1.1', 'GET /  HTTP/1.1', 'GET / HTTP/1.1 ', 'GET \t/\tHTTP/1.1\t']) {
      expect(parse(`${line}\r\nHost: ws.example\r\n\r\n`)).toMatchObject({ kind: 'request', target: '/', version: 'HTTP/1.1', host: 'ws.example', anomalies: [] });
    }
  });
  test('a request line off the grammar after a method and a target still has its Host read, flagged (tshark reads these)', () => {
    const M = [A['http.malformed_request']];
    // a word after the version; spaces sent unescaped inside the target; versions that are not one
    expect(parse('GET / HTTP/1.1 x\r\nHost: ws.example\r\n\r\n')).toMatchObject({ kind: 'request', target: '/', host: 'ws.example', anomalies: M });
    expect(parse('GET /a b c HTTP/1.1\r\nHost: sp.example\r\n\r\n')).toMatchObject({ kind: 'request', target: '/a', version: 'HTTP/1.1', host: 'sp.example', anomalies: M });
    for (const v of ['http/1.1', 'HTTP/1', 'HTTP/11', 'HTTP/1.12', 'HTTPS/1.1', 'HTTP/1.1x']) {
      expect(parse(`GET / ${v}\r\nHost: v.example\r\n\r\n`)).toMatchObject({ kind: 'request', version: v, host: 'v.example', anomalies: M });
    }
    // control bytes inside the target
    expect(parse('GET /\x01\x7f HTTP/1.1\r\nHost: c.example\r\n\r\n')).toMatchObject({ kind: 'request', host: 'c.example', anomalies: M });
    // still no request: no target, or another protocol's version (RTSP, SIP, ICAP name no HTTP Host)
    expect(parse('GET  \r\nHost: x.example\r\n\r\n')).toEqual(MALFORMED);
    expect(parse('DESCRIBE rtsp://cam.example/s RTSP/1.0\r\nCSeq: 1\r\n\r\n')).toEqual(MALFORMED);
    expect(parse('OPTIONS sip:a@b.example SIP/2.0\r\nVia: x\r\n\r\n')).toEqual(MALFORMED);
  });
  test('a line that is no header field is passed over, flagged: the other fields count (tshark reads them too)', () => {
    const M = [A['http.malformed_request']];
    // whitespace between field name and colon (RFC 9112 §5.1): that line is no Host, as for tshark
    expect(parse('GET / HTTP/1.1\r\nHost : a.example\r\n\r\n')).toMatchObject({ kind: 'request', host: null, anomalies: M });
    expect(parse('GET / HTTP/1.1\r\nHost a.example\r\n\r\n')).toMatchObject({ kind: 'request', host: null, anomalies: M });
    for (const bad of ['User Agent: x', 'X-Foo(bar): y', '[X]: y', ': z', 'no colon at all']) {
      expect(parse(`GET / HTTP/1.1\r\n${bad}\r\nHost: kept.example\r\nAccept: */*\r\n\r\n`)).toMatchObject({ kind: 'request', host: 'kept.example', anomalies: M });
    }
    // CR CR LF line ends
    expect(parse('GET / HTTP/1.1\r\r\nHost: crcr.example\r\r\n\r\n')).toMatchObject({ kind: 'request', host: 'crcr.example' });
  });
  test('a Host value that is no uri-host [":" port] still names the request, flagged: the host before a port that is no number, else the value as sent', () => {
    const M = [A['http.malformed_request']];
    // nginx routes `name:http` to `name`; a number too large for a port is still a number (RFC 3986 port = *DIGIT).
    expect(parse('GET / HTTP/1.1\r\nHost: Evil.Other.Test:http\r\n\r\n')).toMatchObject({ kind: 'request', host: 'evil.other.test', hostSource: 'host-header', anomalies: M });
    expect(parse('GET / HTTP/1.1\r\nHost: big.example:99999999\r\n\r\n')).toMatchObject({ kind: 'request', host: 'big.example', anomalies: [] });
    // userinfo, a path, a query or a fragment: the value as sent, which no rule pattern matches
    for (const v of ['user@userinfo.example', 'allowed.example@other.example', 'name.example/x', 'name.example?x', 'name.example#x', 'a:b@c.example:http']) {
      expect(parse(`GET / HTTP/1.1\r\nHost: ${v}\r\n\r\n`)).toMatchObject({ kind: 'request', host: v, hostSource: 'host-header', anomalies: M });
    }
  });
  test('two different Host values (RFC 9112 §3.2: the request smuggling shape): both reported, flagged http.conflicting_host', () => {
    expect(parse('GET / HTTP/1.1\r\nHost: a.example\r\nHost: B.example:8080\r\nHost: c.example\r\n\r\n')).toMatchObject({
      kind: 'request', host: 'a.example', conflictingHost: 'b.example', anomalies: [A['http.conflicting_host']],
    });
    // Differing only in case or port: one host.
    expect(parse('GET / HTTP/1.1\r\nHost: a.example\r\nHost: a.example:80\r\n\r\n')).toMatchObject({ host: 'a.example', conflictingHost: null });
  });
  test('CONNECT without a usable authority → malformed', () => {
    expect(parse('CONNECT / HTTP/1.1\r\n\r\n')).toEqual(MALFORMED);
  });
  test('target that is neither origin-, absolute- nor asterisk-form is tolerated; Host names the server', () => {
    // Real devices send such targets (the corpus has "POST .servlets/mms"); servers and tshark
    // accept them, so the request is reported, with its name from the Host header, not rejected.
    expect(parse('POST .servlets/mms HTTP/1.1\r\nHost: 172.20.3.13\r\n\r\n')).toMatchObject({ kind: 'request', target: '.servlets/mms', host: '172.20.3.13' });
    expect(parse('GET example.com HTTP/1.1\r\n\r\n')).toMatchObject({ kind: 'request', host: null });
  });
  test('Host with a non-numeric port → the host before it, flagged http.malformed_request (servers route it so)', () => {
    const r = req('GET / HTTP/1.1\r\nHost: a.example:abc\r\n\r\n');
    expect(r.host).toBe('a.example');
    expect(r.anomalies).toEqual([A['http.malformed_request']]);
  });
  test('unterminated IPv6 bracket → the value as sent (no address, no name a rule matches), flagged', () => {
    const r = req('GET / HTTP/1.1\r\nHost: [::1\r\n\r\n');
    expect(r.host).toBe('[::1');
    expect(r.anomalies).toEqual([A['http.malformed_request']]);
  });
  test('obs-fold continuation lines are skipped, not taken as fields', () => {
    expect(req('GET / HTTP/1.1\r\nX-A: 1\r\n Host: fold.example\r\nHost: real.example\r\n\r\n').host).toBe('real.example');
  });
});

describe('properties', () => {
  const KINDS = new Set(['request', 'need-more', 'not-http', 'malformed']);
  test('arbitrary bytes and mutated requests never throw; results are one of the four kinds', () => {
    const base = enc('GET http://[::1]:80/x HTTP/1.1\r\nHost: a.example:8080\r\nConnection: close\r\n\r\n');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 5 }), fc.nat(), (rnd, flips, cut) => {
        const b = Uint8Array.from(base);
        for (const [i, v] of flips) b[i % b.length] = v;
        const len = cut % (b.length + 1);
        const r1 = parseHttpRequestHead(b, 0, len);
        const r2 = parseHttpRequestHead(rnd, 0, rnd.length);
        const withMethod = new Uint8Array([...enc('GET '), ...rnd]);
        const r3 = parseHttpRequestHead(withMethod, 0, withMethod.length);
        for (const r of [r1, r2, r3]) {
          if (!KINDS.has(r.kind)) return false;
          if (r.kind === 'request' && (r.headLength < 1 || r.headLength > MAX_HTTP_HEAD_LENGTH)) return false;
        }
        return true;
      }),
      { numRuns: 3000 },
    );
  });
});

describeShared('HTTP requests from corpus captures (tshark http.requests[])', () => {
  test.each([
    'zeek__http__pipelined-requests',
    'zeek__http__proxy',
    'zeek__wikipedia',
    'zeek__http-vlan-0',
  ])('%s', (stem) => {
    const expected = JSON.parse(fs.readFileSync(sharedPath('corpus', 'expected', `${stem}.json`), 'utf8'));
    const want = (expected.http.requests as { method: string; uri: string; host: string | null }[])
      .map((r) => `${r.method} ${r.host ? r.host.toLowerCase().replace(/:\d+$/, '') : '-'}`);
    const got: string[] = [];
    for (const d of tcpDirections(sharedPath('corpus', `${stem}.pcap`))) {
      let off = 0;
      for (;;) {
        const r = parseHttpRequestHead(d.head, off, d.head.length - off);
        if (r.kind !== 'request') break;
        got.push(`${r.method} ${r.host ?? '-'}`);
        // Bodies are not skipped here, so only body-less requests chain (enough for these captures).
        off += r.headLength;
      }
    }
    expect(got.sort()).toEqual(want.sort());
  });
});

describe('body length (RFC 9112 §6.3): where the next request starts', () => {
  const body = (fields: string): number => {
    const b = ascii(`POST /up HTTP/1.1\r\nHost: a.example\r\n${fields}\r\n`);
    const r = parseHttpRequestHead(b, 0, b.length);
    if (r.kind !== 'request') throw new Error(r.kind);
    return r.bodyLength;
  };
  test.each<[string, string, number]>([
    ['no Content-Length, no Transfer-Encoding: none', '', 0],
    ['Content-Length', 'Content-Length: 1234\r\n', 1234],
    ['any case, spaces around the value', 'content-LENGTH:   7  \r\n', 7],
    ['the same value twice', 'Content-Length: 5\r\nContent-Length: 5\r\n', 5],
    ['differing values: unknown', 'Content-Length: 5\r\nContent-Length: 6\r\n', -1],
    ['not a number: unknown', 'Content-Length: 5a\r\n', -1],
    ['a list ("5, 5"): unknown', 'Content-Length: 5, 5\r\n', -1],
    ['empty: unknown', 'Content-Length:\r\n', -1],
    ['over MAX_BODY_LENGTH: unknown', `Content-Length: ${MAX_BODY_LENGTH + 1}\r\n`, -1],
    ['MAX_BODY_LENGTH itself', `Content-Length: ${MAX_BODY_LENGTH}\r\n`, MAX_BODY_LENGTH],
    ['chunked: unknown from the head', 'Transfer-Encoding: chunked\r\n', -1],
    ['Transfer-Encoding wins over Content-Length', 'Content-Length: 10\r\nTransfer-Encoding: chunked\r\n', -1],
    ['a longer name that starts the same is another field', 'Content-Lengthy: 3\r\n', 0],
  ])('%s', (_name, fields, want) => {
    expect(body(fields)).toBe(want);
  });
});

describe('chunked request bodies (RFC 9112 §7.1)', () => {
  const chunkedOf = (fields: string): boolean => {
    const b = ascii(`POST /up HTTP/1.1\r\nHost: a.example\r\n${fields}\r\n`);
    const r = parseHttpRequestHead(b, 0, b.length);
    if (r.kind !== 'request') throw new Error(r.kind);
    return r.chunked;
  };
  test('chunked is the last transfer coding, in any case; another last coding is not', () => {
    expect(chunkedOf('Transfer-Encoding: chunked\r\n')).toBe(true);
    expect(chunkedOf('Transfer-Encoding: gzip, CHUNKED \r\n')).toBe(true);
    expect(chunkedOf('Transfer-Encoding: chunked, gzip\r\n')).toBe(false);
    expect(chunkedOf('Transfer-Encoding: xchunked\r\n')).toBe(false);
    expect(chunkedOf('Content-Length: 4\r\n')).toBe(false);
  });

  const body = '5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n';
  test.each<[string, string, number]>([
    ['chunks with an extension, a trailer and the final empty line', body, body.length],
    ['the same followed by the next request', body + 'GET / HTTP/1.1\r\n', body.length],
    ['bare LF line ends', '3\nabc\n0\n\n', 9],
    ['the last chunk alone', '0\r\n\r\n', 5],
    ['cut inside a chunk', body.slice(0, 12), -1],
    ['cut before the final empty line', body.slice(0, body.length - 2), -1],
    ['no size', '\r\nabc', -2],
    ['a size of nine hex digits', '100000000\r\n', -2],
    ['data not followed by CRLF', '3\r\nabcX\r\n0\r\n\r\n', -2],
  ])('%s', (_name, text, want) => {
    const b = ascii(text);
    expect(chunkedBodyLength(b, 0, b.length)).toBe(want);
  });

  test('never reads past the range, and never throws on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(200), (bytes, cut) => {
      const n = Math.min(cut, bytes.length);
      const poisoned = new Uint8Array(bytes.length + 16);
      poisoned.set(bytes.subarray(0, n));
      poisoned.fill(0x0a, n);
      expect(chunkedBodyLength(poisoned, 0, n)).toBe(chunkedBodyLength(bytes.subarray(0, n), 0, n));
    }), { numRuns: 2000 });
  });
});

describe('ChunkedBodyWalker: a chunked body fed in pieces gives what chunkedBodyLength gives it whole', () => {
  /** Feeds `b` cut at `cuts`: the offset in `b` where the body ended, -1 (goes on) or -2 (malformed). */
  const walk = (b: Uint8Array, cuts: number[]): number => {
    const w = new ChunkedBodyWalker();
    let at = 0;
    for (const c of [...cuts.filter((x) => x > 0 && x < b.length).sort((x, y) => x - y), b.length]) {
      if (c <= at) continue;
      const r = w.feed(b, at, c - at);
      if (r === -2) return -2;
      if (r >= 0) return at + r;
      at = c;
    }
    return -1;
  };
  const body = '5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n';

  test('every cut of a body with extensions and a trailer, then the next request', () => {
    const b = ascii(body + 'GET / HTTP/1.1\r\n');
    for (let i = 0; i < b.length; i++) for (const j of [i + 1, i + 7]) expect(walk(b, [i, j])).toBe(body.length);
    for (let i = 1; i <= body.length; i++) expect(walk(b.subarray(0, i), [])).toBe(i === body.length ? body.length : -1);
  });

  test('random bodies, chunk sizes and cuts: the same as chunkedBodyLength on the whole', () => {
    const chunkText = fc.tuple(fc.string({ maxLength: 40 }), fc.boolean(), fc.boolean()).map(([data, ext, lf]) =>
      `${data.length.toString(16)}${ext ? ';a=b' : ''}${lf ? '\n' : '\r\n'}${data}\r\n`);
    fc.assert(fc.property(fc.array(chunkText, { maxLength: 6 }), fc.array(fc.nat(400), { maxLength: 6 }), fc.boolean(), (chunks, cuts, trailer) => {
      const text = chunks.join('') + '0\r\n' + (trailer ? 'T: 1\r\n' : '') + '\r\nGET';
      const b = Buffer.from(text, 'latin1');
      expect(walk(b, cuts)).toBe(chunkedBodyLength(b, 0, b.length));
    }), { numRuns: 1500 });
  });

  test('malformed bodies are refused however cut; random bytes never throw and are read only in range', () => {
    for (const bad of ['\r\nabc', '100000000\r\n', '3\r\nabcX\r\n0\r\n\r\n', `1;${'e'.repeat(5000)}\r\n`]) {
      const b = ascii(bad);
      for (let i = 0; i < Math.min(b.length, 40); i++) expect(walk(b, [i])).toBe(-2);
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.nat(200), { maxLength: 4 }), (bytes, cuts) => {
      const r = walk(bytes, cuts);
      expect(r === -1 || r === -2 || (r > 0 && r <= bytes.length)).toBe(true);
    }), { numRuns: 2000 });
  });
});

describe('a fully qualified Host (trailing dot)', () => {
  test.each<[string, string | null]>([
    ['www.Example.com.', 'www.example.com'],
    ['www.example.com.:8080', 'www.example.com'],
    ['a..', 'a..'], // not a name with a root dot: kept as sent
    ['.', '.'],
    ['[2001:db8::1]:80', '2001:db8::1'],
  ])('%s → %s', (value, want) => {
    const b = ascii(`GET / HTTP/1.1\r\nHost: ${value}\r\n\r\n`);
    const r = parseHttpRequestHead(b, 0, b.length);
    expect(r.kind === 'request' ? r.host : r.kind).toBe(want);
  });
});

describe('requestLineLacksVersion (the stricter test for a connection picked up mid-stream)', () => {
  test.each<[string, boolean]>([
    ['GET / HTTP/1.1\r\nHost: a\r\n\r\n', false],
    ['\r\nPOST /x http/1.0\n', false],
    ['GET /cut-before-the-line-ends HTT', false],
    ['EHLO relay.example.com\r\n', true],
    ['A1 LOGIN user pass\r\n', true],
    ['GET / HTTP/1.1 extra\r\n', true],
    ['GET HTTP/1.1\r\n', false],
    ['X HTTP/1.x\r\n', true],
  ])('%j → %s', (line, lacks) => {
    const b = Buffer.from(line, 'latin1');
    expect(requestLineLacksVersion(b, 0, b.length)).toBe(lacks);
  });
});
