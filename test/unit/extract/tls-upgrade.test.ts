/**
 * findTlsUpgrade: which plaintext protocol a client stream starts with, and the offset where its
 * TLS begins after the upgrade request — for every protocol it knows, cut at every byte, inside
 * larger buffers, past the bound, and on random bytes.
 */
import * as fc from 'fast-check';
import { findTlsUpgrade, MAX_PREAMBLE_BYTES, TlsUpgrade, Upgrade } from '../../../src/extract/tls-upgrade';
import { concat as cat } from './helpers/tls-builder';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const up = (b: Uint8Array, port = 0): TlsUpgrade => findTlsUpgrade(b, 0, b.length, port);
/** A TLS handshake record header, the bytes a ClientHello starts with. */
const HELLO_START = Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00, 0x01);

const LDAP_STARTTLS = (() => {
  const oid = text('1.3.6.1.4.1.1466.20037');
  const ext = cat(Uint8Array.of(0x77, oid.length + 2, 0x80, oid.length), oid);
  const body = cat(Uint8Array.of(0x02, 0x01, 0x01), ext);
  return cat(Uint8Array.of(0x30, body.length), body);
})();
/** A simple bind request (messageID 1, version 3, name "", simple ""), then the StartTLS request with messageID 2. */
const LDAP_BIND = Uint8Array.of(0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00);
const MYSQL_SSL_REQUEST = (() => {
  const b = new Uint8Array(36);
  b.set([32, 0, 0, 1]);
  new DataView(b.buffer).setUint32(4, 0x0800 | 0x0200 | 0x8000, true);
  b[12] = 255;
  return b;
})();

/** RDP: TPKT + X.224 Connection Request, optionally with a cookie line, and an RDP_NEG_REQ with `protocols`. */
function rdpRequest(protocols: number | null, cookie = 'Cookie: mstshash=dev\r\n'): Uint8Array {
  const neg = protocols === null ? new Uint8Array(0) : Uint8Array.of(1, 0, 8, 0, protocols & 0xff, 0, 0, 0);
  const body = cat(Uint8Array.of(0xe0, 0, 0, 0, 0, 0), text(cookie), neg);
  const total = 5 + body.length;
  return cat(Uint8Array.of(3, 0, total >> 8, total & 0xff, body.length), body);
}

/** Preambles that end exactly where TLS starts, with the app they show and the server port. */
const UPGRADES: ReadonlyArray<[string, Uint8Array, string, number]> = [
  ['SMTP EHLO + STARTTLS', text('EHLO device.example.com\r\nSTARTTLS\r\n'), 'smtp', 587],
  ['SMTP lower case, LF only', text('ehlo device\nstarttls\n'), 'smtp', 25],
  ['LMTP', text('LHLO client.example\r\nSTARTTLS\r\n'), 'lmtp', 24],
  ['IMAP', text('a001 CAPABILITY\r\na002 STARTTLS\r\n'), 'imap', 143],
  ['IMAP, upper-case tag (also looks like an HTTP request line)', text('A1 STARTTLS\r\n'), 'imap', 143],
  ['IMAP with OpenSSL\'s tag "."', text('. CAPABILITY\r\n. STARTTLS\r\n'), 'imap', 143],
  ['POP3', text('CAPA\r\nSTLS\r\n'), 'pop3', 110],
  ['POP3 STLS first', text('STLS\r\n'), 'pop3', 110],
  ['FTP AUTH TLS', text('AUTH TLS\r\n'), 'ftp', 21],
  ['FTP FEAT then AUTH SSL', text('FEAT\r\nAUTH SSL\r\n'), 'ftp', 2121],
  ['NNTP', text('CAPABILITIES\r\nSTARTTLS\r\n'), 'nntp', 119],
  ['bare STARTTLS on NNTP\'s port', text('STARTTLS\r\n'), 'nntp', 119],
  ['bare STARTTLS on ManageSieve\'s port', text('STARTTLS\r\n'), 'sieve', 4190],
  ['XMPP self-closing starttls', text("<?xml version='1.0'?><stream:stream to='x.example' xmlns='jabber:client'><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), 'xmpp', 5222],
  ['XMPP without declaration, element with end tag', text("<stream:stream to='x.example'>\n<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'></starttls>"), 'xmpp', 5222],
  ['LDAP StartTLS', LDAP_STARTTLS, 'ldap', 389],
  ['LDAP bind, then StartTLS', cat(LDAP_BIND, LDAP_STARTTLS), 'ldap', 389],
  ['PostgreSQL SSLRequest', Uint8Array.of(0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f), 'postgresql', 5432],
  ['MySQL SSLRequest', MYSQL_SSL_REQUEST, 'mysql', 3306],
  ['PostgreSQL GSSENCRequest refused, then SSLRequest', Uint8Array.of(0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30, 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f), 'postgresql', 5432],
  ['SOCKS 5, domain', cat(Uint8Array.of(5, 1, 0, 5, 1, 0, 3, 11), text('example.com'), Uint8Array.of(1, 187)), 'socks', 1080],
  ['SOCKS 5, IPv6 after username/password', cat(Uint8Array.of(5, 2, 0, 2, 1, 3), text('bob'), Uint8Array.of(4), text('pass'), Uint8Array.of(5, 1, 0, 4), new Uint8Array(16), Uint8Array.of(1, 187)), 'socks', 1080],
  ['SOCKS 4', cat(Uint8Array.of(4, 1, 1, 187, 203, 0, 113, 7), text('user'), Uint8Array.of(0)), 'socks', 1080],
  ['RDP asking for TLS and CredSSP', rdpRequest(3), 'rdp', 3389],
  ['RDP asking for CredSSP with Early User Authorization, no cookie', rdpRequest(8, ''), 'rdp', 3389],
  ['SOCKS 4a', cat(Uint8Array.of(4, 1, 1, 187, 0, 0, 0, 1), Uint8Array.of(0), text('api.example.com'), Uint8Array.of(0)), 'socks', 1080],
];

describe('findTlsUpgrade: where TLS starts', () => {
  test.each(UPGRADES)('%s', (_name, preamble, app, port) => {
    expect(up(preamble, port)).toMatchObject({ kind: Upgrade.TlsAt, app, at: preamble.length });
    // The hello that follows does not change the answer, nor does where the stream sits in a buffer.
    const withHello = cat(preamble, HELLO_START);
    expect(up(withHello, port)).toEqual(up(preamble, port));
    const inside = cat(Uint8Array.of(0xee, 0xee, 0xee), withHello, text('STARTTLS\r\n'));
    expect(findTlsUpgrade(inside, 3, withHello.length, port)).toEqual(up(preamble, port));
  });

  test.each(UPGRADES)('%s, cut at every byte: never an upgrade before its end, never a wrong app', (_name, preamble, app, port) => {
    for (let n = 1; n < preamble.length; n++) {
      // Bytes past the cut are poison: a reader looking beyond `len` would see another answer.
      const buf = cat(preamble.subarray(0, n), text('\r\nSTARTTLS\r\nSTLS\r\n'));
      const r = findTlsUpgrade(buf, 0, n, port);
      expect(r.kind).not.toBe(Upgrade.TlsAt);
      expect(r.kind).not.toBe(Upgrade.Plain);
      if (r.app !== null) expect(r.app).toBe(app);
      // A first line cut short is still waiting; only a whole first word that is none of ours says None.
      if (r.kind === Upgrade.None) expect(preamble.subarray(0, n).includes(0x20) || preamble.subarray(0, n).includes(0x0a)).toBe(true);
    }
  });
});

describe('findTlsUpgrade: known protocols that stay in the clear', () => {
  test('SMTP that never asks: waits while lines come, then Plain at the line bound', () => {
    expect(up(text('EHLO a\r\nMAIL FROM:<a@example.com>\r\n'))).toEqual({ kind: Upgrade.NeedMore, app: 'smtp', at: -1 });
    const many = text('EHLO a\r\n' + 'NOOP\r\n'.repeat(20));
    expect(up(many)).toEqual({ kind: Upgrade.Plain, app: 'smtp', at: -1 });
  });

  test('a preamble that reaches MAX_PREAMBLE_BYTES without the upgrade is Plain, not waiting forever', () => {
    const long = cat(text('EHLO '), new Uint8Array(MAX_PREAMBLE_BYTES).fill(0x61));
    expect(up(long)).toEqual({ kind: Upgrade.Plain, app: 'smtp', at: -1 });
  });

  test('a control byte in the plaintext ends it: Plain', () => {
    expect(up(cat(text('EHLO a\r\n'), Uint8Array.of(0x01), text('STARTTLS\r\n')))).toEqual({ kind: Upgrade.Plain, app: 'smtp', at: -1 });
  });

  test('STARTTLS only counts as a whole command of that protocol', () => {
    expect(up(text('EHLO a\r\nSTARTTLS now\r\n')).kind).toBe(Upgrade.NeedMore);
    expect(up(text('CAPA\r\nSTARTTLS\r\n'), 110).kind).toBe(Upgrade.NeedMore); // POP3's command is STLS
    expect(up(text('a1 CAPABILITY\r\nSTARTTLS\r\n'), 143).kind).toBe(Upgrade.NeedMore); // IMAP's needs a tag
  });

  test('POP3 AUTH (SASL) is not FTP AUTH TLS; USER is settled by the port', () => {
    expect(up(text('AUTH PLAIN\r\n'), 110)).toEqual({ kind: Upgrade.NeedMore, app: 'pop3', at: -1 });
    expect(up(text('USER bob\r\n'), 110).app).toBe('pop3');
    expect(up(text('USER bob\r\n'), 21).app).toBe('ftp');
    // IRC also opens with USER: elsewhere it says nothing.
    expect(up(text('USER guest 0 * :Guest\r\n'), 6667)).toEqual({ kind: Upgrade.None, app: null, at: -1 });
    expect(up(text('AUTH PLAIN\r\n'), 6667)).toEqual({ kind: Upgrade.None, app: null, at: -1 });
  });

  test('a bare STARTTLS on a port of no known protocol: an upgrade without an app', () => {
    expect(up(text('STARTTLS\r\n'), 6697)).toEqual({ kind: Upgrade.TlsAt, app: null, at: 10 });
    expect(up(text('STARTTLS\r\nPING x\r\n'), 6697)).toEqual({ kind: Upgrade.TlsAt, app: null, at: 10 });
    expect(up(text('STARTTLS\r\n'), 25)).toEqual({ kind: Upgrade.TlsAt, app: 'smtp', at: 10 });
  });

  test('PostgreSQL GSSENCRequest (then GSSAPI, not an SSLRequest), CancelRequest and a plain StartupMessage', () => {
    expect(up(Uint8Array.of(0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30))).toEqual({ kind: Upgrade.NeedMore, app: 'postgresql', at: -1 });
    expect(up(Uint8Array.of(0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x30, 0x60, 0x82, 0x02, 0x10, 0x06, 0x09, 0x2a, 0x86))).toEqual({ kind: Upgrade.Plain, app: 'postgresql', at: -1 });
    expect(up(Uint8Array.of(0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 1, 0, 0, 0, 2))).toEqual({ kind: Upgrade.Plain, app: 'postgresql', at: -1 });
    expect(up(cat(Uint8Array.of(0, 0, 0, 20, 0, 3, 0, 0), text('user\0bob\0\0\0')))).toEqual({ kind: Upgrade.Plain, app: 'postgresql', at: -1 });
  });

  test('a SOCKS CONNECT to a host name reports the name; to an address, none', () => {
    const [, socks5] = UPGRADES.find(([n]) => n === 'SOCKS 5, domain')!;
    expect(up(socks5).host).toBe('example.com');
    const [, socks4a] = UPGRADES.find(([n]) => n === 'SOCKS 4a')!;
    expect(up(socks4a).host).toBe('api.example.com');
    const [, socks4] = UPGRADES.find(([n]) => n === 'SOCKS 4')!;
    expect(up(socks4).host).toBeUndefined();
    // Case is folded and odd bytes are escaped, as for an SNI.
    const odd = cat(Uint8Array.of(5, 1, 0, 5, 1, 0, 3, 8), text('Ex\\am'), Uint8Array.of(0x20, 0xff), text('e'), Uint8Array.of(0, 80));
    expect(up(odd).host).toBe('ex\\092am\\032\\255e');
  });

  test('RDP asking only for standard RDP security, or without a negotiation request: Plain', () => {
    expect(up(rdpRequest(0))).toEqual({ kind: Upgrade.Plain, app: 'rdp', at: -1 });
    expect(up(rdpRequest(null))).toEqual({ kind: Upgrade.Plain, app: 'rdp', at: -1 });
  });

  test('SOCKS BIND and UDP ASSOCIATE carry no tunnel of ours: Plain', () => {
    expect(up(Uint8Array.of(5, 1, 0, 5, 2, 0, 1, 203, 0, 113, 9, 0, 80))).toEqual({ kind: Upgrade.Plain, app: 'socks', at: -1 });
    expect(up(cat(Uint8Array.of(4, 2, 0, 80, 203, 0, 113, 9), Uint8Array.of(0)))).toEqual({ kind: Upgrade.Plain, app: 'socks', at: -1 });
  });

  test('LDAP without StartTLS: Plain after the message bound; an unrelated extended operation is not StartTLS', () => {
    const whoami = (id: number): Uint8Array => {
      const oid = text('1.3.6.1.4.1.4203.1.11.3');
      const body = cat(Uint8Array.of(0x02, 0x01, id, 0x77, oid.length + 2, 0x80, oid.length), oid);
      return cat(Uint8Array.of(0x30, body.length), body);
    };
    expect(up(whoami(1))).toEqual({ kind: Upgrade.NeedMore, app: 'ldap', at: -1 });
    expect(up(cat(...Array.from({ length: 8 }, (_, i) => whoami(i + 1))))).toEqual({ kind: Upgrade.Plain, app: 'ldap', at: -1 });
  });

  test('XMPP that never sends starttls waits; something else in XML is nothing of ours', () => {
    expect(up(text("<stream:stream to='x.example'><auth mechanism='PLAIN'/>"))).toEqual({ kind: Upgrade.NeedMore, app: 'xmpp', at: -1 });
    expect(up(text('<?xml version="1.0"?><soap:Envelope>')).kind).toBe(Upgrade.NeedMore); // the stream header may still come
    expect(up(cat(text('<?xml version="1.0"?><soap:Envelope>'), new Uint8Array(MAX_PREAMBLE_BYTES).fill(0x20))).kind).toBe(Upgrade.None);
    expect(up(text('<html><body>')).kind).toBe(Upgrade.None);
  });
});

describe('findTlsUpgrade: everything else is None', () => {
  test.each([
    ['an HTTP request', text('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n')],
    ['an HTTP CONNECT (the HTTP parser handles it)', text('CONNECT example.com:443 HTTP/1.1\r\n\r\n')],
    ['a TLS record', HELLO_START],
    ['an SSH banner', text('SSH-2.0-OpenSSH_9.6\r\n')],
    ['a word that is no command', text('HELLOWORLD\r\n')],
    ['a very long first word', text('X'.repeat(100))],
    ['MySQL without CLIENT_SSL', (() => { const b = MYSQL_SSL_REQUEST.slice(); b[5] = 0x82; return b; })()],
    ['a SOCKS 5 request with a reserved byte set', Uint8Array.of(5, 1, 0, 5, 1, 1, 1, 203, 0, 113, 9, 0, 80)],
    ['SOCKS 4 with a control byte in the user id', cat(Uint8Array.of(4, 1, 0, 80, 203, 0, 113, 9), Uint8Array.of(0x41, 0x07, 0))],
    ['a TPKT whose X.224 length indicator disagrees', (() => { const b = rdpRequest(3); b[4]++; return b; })()],
    ['a TPKT holding no Connection Request', (() => { const b = rdpRequest(3); b[5] = 0xf0; return b; })()],
    ['BER that is no LDAP message', Uint8Array.of(0x30, 0x03, 0x04, 0x01, 0x00)],
    ['a BER indefinite length', Uint8Array.of(0x30, 0x80, 0x02, 0x01, 0x01, 0x77, 0x00)],
    ['a binary protocol', Uint8Array.of(0xf9, 0xbe, 0xb4, 0xd9, 0, 0, 0)],
    ['an empty stream', new Uint8Array(0)],
  ])('%s', (_name, bytes) => {
    expect(up(bytes, 443)).toEqual({ kind: Upgrade.None, app: null, at: -1 });
  });

  test('out-of-range arguments are None, never a read outside the buffer', () => {
    const b = text('STLS\r\n');
    expect(findTlsUpgrade(b, -1, 3, 110).kind).toBe(Upgrade.None);
    expect(findTlsUpgrade(b, 4, 10, 110).kind).toBe(Upgrade.None);
  });
});

describe('findTlsUpgrade on random bytes', () => {
  test('never throws, and an upgrade offset always lies inside the bytes given', () => {
    const prefixes = UPGRADES.map(([, p]) => p);
    fc.assert(fc.property(
      fc.integer({ min: 0, max: prefixes.length }), fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 65535 }),
      (which, tail, skip, port) => {
        const body = which < prefixes.length ? cat(prefixes[which].subarray(0, Math.max(1, prefixes[which].length - tail.length % 7)), tail) : tail;
        const buf = cat(new Uint8Array(skip), body);
        const r = findTlsUpgrade(buf, skip, body.length, port);
        if (r.kind === Upgrade.TlsAt) {
          expect(r.at).toBeGreaterThan(0);
          expect(r.at).toBeLessThanOrEqual(body.length);
        } else {
          expect(r.at).toBe(-1);
        }
        if (r.kind === Upgrade.Plain) expect(r.app).not.toBeNull();
      }), { numRuns: 3000 });
  });
});
