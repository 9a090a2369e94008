/**
 * Certificate names and the server flight they come in: real certificates made by OpenSSL 3.0
 * (a subjectAltName marked critical with DNS names, a trailing dot, a repeat and an IP entry; a
 * subject with two commonNames and no SAN), TLS 1.2 and 1.3 server flights cut into records
 * anywhere, and damaged bytes that must never throw.
 */
import fc from 'fast-check';
import { certificateNames, MAX_CERT_NAMES } from '../../../src/extract/x509-names';
import { serverCertificateNames } from '../../../src/extract/tls-server-flight';
import { concat } from './helpers/tls-builder';
import { CN_CERT, SAN_CERT, certificate, flight12, handshake, records, serverHello, u24 } from './helpers/tls-server';

describe('certificateNames', () => {
  test('DNS subjectAltNames in order, lowercased, without the root dot or repeats; IP entries and the CN left out', () => {
    expect(certificateNames(SAN_CERT, 0, SAN_CERT.length)).toEqual(['gateway.example.com', '*.gw.example.com']);
  });

  test('without a SAN, the last commonName of the subject', () => {
    expect(certificateNames(CN_CERT, 0, CN_CERT.length)).toEqual(['legacy.example.net']);
  });

  test('offsets are honoured, and every cut of a certificate gives no names rather than wrong ones', () => {
    const shifted = concat(new Uint8Array(5).fill(0x30), SAN_CERT, new Uint8Array(3).fill(0x82));
    expect(certificateNames(shifted, 5, SAN_CERT.length)).toEqual(['gateway.example.com', '*.gw.example.com']);
    for (let n = 0; n < SAN_CERT.length; n++) expect(certificateNames(SAN_CERT, 0, n)).toEqual([]);
  });

  test('a subjectAltName of many names keeps MAX_CERT_NAMES', () => {
    // Rewrite the SAN's dNSNames into a long list: build a minimal certificate around it.
    const seq = (tag: number, body: Uint8Array): Uint8Array => concat(Uint8Array.of(tag), body.length < 128 ? Uint8Array.of(body.length) : Uint8Array.of(0x82, body.length >> 8, body.length & 0xff), body);
    const dns = Array.from({ length: 40 }, (_, i) => seq(0x82, Uint8Array.from(Buffer.from(`h${i}.example.com`))));
    const san = seq(0x30, concat(seq(0x06, Uint8Array.of(0x55, 0x1d, 0x11)), seq(0x04, seq(0x30, concat(...dns)))));
    const name = seq(0x30, seq(0x31, seq(0x30, concat(seq(0x06, Uint8Array.of(0x55, 0x04, 0x03)), seq(0x0c, Uint8Array.from(Buffer.from('cn.example.com')))))));
    const tbs = seq(0x30, concat(seq(0xa0, seq(0x02, Uint8Array.of(2))), seq(0x02, Uint8Array.of(1)), seq(0x30, new Uint8Array(0)), name, seq(0x30, new Uint8Array(0)), name,
      seq(0x30, new Uint8Array(0)), seq(0xa3, seq(0x30, san))));
    const cert = seq(0x30, concat(tbs, seq(0x30, new Uint8Array(0)), seq(0x03, Uint8Array.of(0))));
    const names = certificateNames(cert, 0, cert.length);
    expect(names).toHaveLength(MAX_CERT_NAMES);
    expect(names[0]).toBe('h0.example.com');
  });

  test('property: damaged certificates never throw and never name more than the bound', () => {
    fc.assert(fc.property(fc.nat(SAN_CERT.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(SAN_CERT.length), (i, v, cut) => {
      const b = SAN_CERT.slice(0, Math.max(1, cut));
      b[Math.min(i, b.length - 1)] = v;
      const names = certificateNames(b, 0, b.length);
      expect(names.length).toBeLessThanOrEqual(MAX_CERT_NAMES);
      for (const n of names) expect(n.length).toBeLessThanOrEqual(255 * 4);
    }), { numRuns: 3000 });
  });
});

describe('serverCertificateNames', () => {
  test('a TLS 1.2 flight: the first certificate\'s names, in one record or cut into records of any size', () => {
    const hs = flight12();
    for (const size of [16384, 1000, 300, 7, 1]) {
      expect([size, serverCertificateNames(...whole(records(hs, size)))]).toEqual([size, { kind: 'names', names: ['gateway.example.com', '*.gw.example.com'] }]);
    }
  });

  test('every cut of the flight before the first certificate ends says need-more; after it, the names', () => {
    const flight = records(flight12(), 200);
    let sawNames = false;
    for (let n = 0; n <= flight.length; n++) {
      const r = serverCertificateNames(flight, 0, n);
      if (r.kind === 'names') sawNames = true;
      else expect([n, r.kind, sawNames]).toEqual([n, 'need-more', false]);
    }
    expect(sawNames).toBe(true);
  });

  test('TLS 1.3, a flight without a certificate, an alert, and bytes that are not TLS: none', () => {
    expect(serverCertificateNames(...whole(records(concat(serverHello(true), certificate(SAN_CERT)))))).toEqual({ kind: 'none' });
    expect(serverCertificateNames(...whole(concat(records(serverHello(false)), Uint8Array.of(20, 3, 3, 0, 1, 1))))).toEqual({ kind: 'none' });
    expect(serverCertificateNames(...whole(Uint8Array.of(21, 3, 3, 0, 2, 2, 40)))).toEqual({ kind: 'none' });
    expect(serverCertificateNames(...whole(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')))).toEqual({ kind: 'none' });
    // A certificate_list whose length lies.
    const lying = handshake(11, concat(u24(10), u24(SAN_CERT.length), SAN_CERT));
    expect(serverCertificateNames(...whole(records(concat(serverHello(false), lying))))).toEqual({ kind: 'none' });
  });

  test('property: any bytes, and any damage to a real flight, never throw', () => {
    const flight = records(flight12(), 500);
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.tuple(fc.nat(flight.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(flight.length)).map(([i, v, cut]) => {
      const b = flight.slice(0, Math.max(1, cut));
      b[Math.min(i, b.length - 1)] = v;
      return b;
    })), (bytes) => {
      expect(['names', 'need-more', 'none']).toContain(serverCertificateNames(bytes, 0, bytes.length).kind);
    }), { numRuns: 3000 });
  });
});

function whole(b: Uint8Array): [Uint8Array, number, number] {
  return [b, 0, b.length];
}
