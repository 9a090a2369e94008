/**
 * The server's DTLS 1.2 flight read for its certificate's names: whole, fragmented across
 * records and datagrams, out of order and repeated, after a HelloVerifyRequest; nothing for a
 * server that picks DTLS 1.3, a flight without a certificate, encrypted records, a datagram cut
 * short, or fragments that disagree on the message's length. Never throws on any bytes.
 */
import fc from 'fast-check';
import { DtlsServerFlight, MAX_DTLS_SERVER_DATAGRAMS } from '../../../src/extract/dtls-server-flight';
import { dtlsHandshakeDatagrams, dtlsHelloVerifyRequest } from '../../gen/app-messages';
import { concat, hex } from './helpers/tls-builder';
import { CN_CERT, SAN_CERT, certificate, u16 } from './helpers/tls-server';

const HVR = 3;
const SERVER_HELLO = 2;
const CERTIFICATE = 11;
const DONE = 14;
const SAN_NAMES = ['gateway.example.com', '*.gw.example.com'];

/** A DTLS ServerHello body; `dtls13` adds supported_versions selecting 0xfefc. */
function serverHelloBody(dtls13: boolean): Uint8Array {
  const ext = dtls13 ? concat(u16(0x002b), u16(2), u16(0xfefc)) : concat(u16(0xff01), u16(1), Uint8Array.of(0));
  return concat(u16(0xfefd), new Uint8Array(32).fill(9), Uint8Array.of(0), u16(0xc02b), Uint8Array.of(0), u16(ext.length), ext);
}
/** The Certificate message's body (certificate() builds a TLS handshake message: drop its 4-byte header). */
const certBody = (...certs: Uint8Array[]): Uint8Array => certificate(...certs).subarray(4);

function feedAll(datagrams: Uint8Array[]): { kind: string; names?: string[] } {
  const f = new DtlsServerFlight();
  let r: { kind: string; names?: string[] } = { kind: 'need-more' };
  for (const d of datagrams) {
    r = f.feed(d, 0, d.length);
    if (r.kind !== 'need-more') break;
  }
  return r;
}

test('a whole flight in one datagram: the first certificate\'s names', () => {
  const d = concat(
    ...dtlsHandshakeDatagrams(SERVER_HELLO, serverHelloBody(false), { messageSeq: 1, recordSeq: 1 }),
    ...dtlsHandshakeDatagrams(CERTIFICATE, certBody(SAN_CERT, CN_CERT), { messageSeq: 2, recordSeq: 2 }),
    ...dtlsHandshakeDatagrams(DONE, new Uint8Array(0), { messageSeq: 3, recordSeq: 3 }),
  );
  expect(feedAll([d])).toEqual({ kind: 'names', names: SAN_NAMES });
});

test('after a HelloVerifyRequest, a Certificate in 200-byte fragments, out of order and one repeated, in separate datagrams', () => {
  const hvr = dtlsHandshakeDatagrams(HVR, dtlsHelloVerifyRequest(hex('0102030405060708')), { messageSeq: 0, recordSeq: 0 });
  const sh = dtlsHandshakeDatagrams(SERVER_HELLO, serverHelloBody(false), { messageSeq: 1, recordSeq: 1 });
  const frags = dtlsHandshakeDatagrams(CERTIFICATE, certBody(SAN_CERT, CN_CERT), { messageSeq: 2, recordSeq: 2, fragment: 200 });
  expect(frags.length).toBeGreaterThan(3);
  const order = [hvr[0], sh[0], frags[2], frags[0], frags[2], ...frags.slice(3), frags[1]];
  expect(feedAll(order)).toEqual({ kind: 'names', names: SAN_NAMES });
  // Before the last missing piece arrives, it waits.
  expect(feedAll(order.slice(0, -1)).kind).toBe('need-more');
});

test('nothing to learn: DTLS 1.3 chosen, no certificate before ServerHelloDone, an encrypted record, a cut datagram, disagreeing lengths', () => {
  const sh13 = dtlsHandshakeDatagrams(SERVER_HELLO, serverHelloBody(true), { messageSeq: 1, recordSeq: 1 })[0];
  expect(feedAll([sh13]).kind).toBe('none');
  const psk = concat(dtlsHandshakeDatagrams(SERVER_HELLO, serverHelloBody(false), { messageSeq: 1, recordSeq: 1 })[0],
    dtlsHandshakeDatagrams(DONE, new Uint8Array(0), { messageSeq: 2, recordSeq: 2 })[0]);
  expect(feedAll([psk]).kind).toBe('none');
  expect(feedAll([hex('17fefd0001000000000001000401020304')]).kind).toBe('none');
  const whole = dtlsHandshakeDatagrams(CERTIFICATE, certBody(SAN_CERT), { messageSeq: 2, recordSeq: 2 })[0];
  expect(feedAll([whole.subarray(0, whole.length - 10)]).kind).toBe('none');
  const a = dtlsHandshakeDatagrams(CERTIFICATE, certBody(SAN_CERT), { messageSeq: 2, recordSeq: 2, fragment: 100 })[0];
  const b = dtlsHandshakeDatagrams(CERTIFICATE, certBody(SAN_CERT, CN_CERT), { messageSeq: 2, recordSeq: 3, fragment: 100 })[1];
  expect(feedAll([a, b]).kind).toBe('none');
});

test(`a server that never completes its certificate is given up after ${MAX_DTLS_SERVER_DATAGRAMS} datagrams`, () => {
  const first = dtlsHandshakeDatagrams(CERTIFICATE, certBody(SAN_CERT), { messageSeq: 2, recordSeq: 2, fragment: 100 })[0];
  const f = new DtlsServerFlight();
  const kinds: string[] = [];
  for (let i = 0; i < MAX_DTLS_SERVER_DATAGRAMS; i++) kinds.push(f.feed(first, 0, first.length).kind);
  expect(kinds.slice(0, -1).every((k) => k === 'need-more')).toBe(true);
  expect(kinds[kinds.length - 1]).toBe('none');
});

test('property: any bytes, any bounds: a result, never an exception', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), fc.integer({ min: -2, max: 400 }), (datagrams, cut) => {
    const f = new DtlsServerFlight();
    for (const d of datagrams) {
      expect(['names', 'need-more', 'none']).toContain(f.feed(d, 0, Math.max(0, Math.min(cut, d.length))).kind);
      expect(['names', 'need-more', 'none']).toContain(f.feed(d, 1, d.length).kind);
    }
  }), { numRuns: 3000 });
});
