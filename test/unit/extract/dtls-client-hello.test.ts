/**
 * DTLS ClientHello extractor: whole hellos, the cookie hello after a HelloVerifyRequest,
 * fragments in order, out of order, duplicated and several to a datagram, a later message
 * superseding an incomplete one, the probe against DNS, QUIC and TLS, every length field
 * lying, the bounds, and properties over random cuts and random bytes.
 */
import fc from 'fast-check';
import { A } from '../../../src/anomalies';
import {
  DTLS_HANDSHAKE_HEADER_LENGTH, DtlsHelloAssembler, MAX_DTLS_FRAGMENT_RANGES, probeDtlsClientHello,
} from '../../../src/extract/dtls-client-hello';
import { StreamHeadBudget } from '../../../src/flow/stream-head';
import { MAX_CLIENT_HELLO_LENGTH, type ClientHelloInfo, type ClientHelloResult } from '../../../src/extract/tls-client-hello';
import { fingerprints, ja4 } from '../../../src/extract/tls-fingerprint';
import { TLS_GROUP_X25519, TLS_GROUP_X25519MLKEM768, dtlsClientHelloBody, dtlsHandshakeDatagrams } from '../../gen/app-messages';
import { concat, hex } from './helpers/tls-builder';

const CH = 1;

function feedAll(datagrams: readonly Uint8Array[]): ClientHelloResult[] {
  const asm = new DtlsHelloAssembler();
  return datagrams.map((d) => asm.feed(d, 0, d.length));
}

function foundAt(results: readonly ClientHelloResult[], i: number): ClientHelloInfo {
  expect(results.slice(0, i).map((r) => r.kind)).toEqual(Array(i).fill('need-more'));
  const r = results[i];
  if (r.kind !== 'found') throw new Error(`expected found at ${i}, got ${JSON.stringify(r)}`);
  return r.hello;
}

const plain = dtlsClientHelloBody({ seed: 'coap', serverName: 'lwm2m.example.com' });
const pq = dtlsClientHelloBody({ seed: 'pq', serverName: 'dtls13.example.net', dtls13: { keyShareGroups: [TLS_GROUP_X25519MLKEM768, TLS_GROUP_X25519] }, alpn: ['coap'] });

test('a whole DTLS 1.2 hello in one datagram: SNI, DTLS version, suites; read in place', () => {
  const [d] = dtlsHandshakeDatagrams(CH, plain, { messageSeq: 0, recordSeq: 0 });
  expect(probeDtlsClientHello(d, 0, d.length)).toBe(true);
  const hello = foundAt(feedAll([d]), 0);
  expect(hello).toMatchObject({ sni: 'lwm2m.example.com', legacyVersion: 0xfefd, cipherSuites: [0xc02b, 0xc02f, 0xc0ae, 0xc0a8, 0x00ff], anomalies: [] });
  expect(hello.messageLength).toBe(DTLS_HANDSHAKE_HEADER_LENGTH + plain.length);
  // The same bytes behind 7 bytes of something else: offsets are honoured.
  const shifted = concat(new Uint8Array(7).fill(0xee), d);
  expect(new DtlsHelloAssembler().feed(shifted, 7, d.length)).toMatchObject({ kind: 'found', hello: { sni: 'lwm2m.example.com' } });
});

test('OpenSSL\'s pre-RFC DTLS (record and hello version 0x0100, as older AnyConnect gateways speak it) is read too', () => {
  const body = dtlsClientHelloBody({ seed: 'bad-ver', serverName: 'vpn.example.com' });
  body[0] = 0x01; body[1] = 0x00;
  const [d] = dtlsHandshakeDatagrams(CH, body, { messageSeq: 0, recordSeq: 0, recordVersion: 0x0100 });
  expect(probeDtlsClientHello(d, 0, d.length)).toBe(true);
  expect(foundAt(feedAll([d]), 0)).toMatchObject({ sni: 'vpn.example.com', legacyVersion: 0x0100 });
  // Any other record version is not DTLS.
  for (const v of [0x0101, 0xfefe, 0xfe00, 0x0303]) {
    const [x] = dtlsHandshakeDatagrams(CH, body, { messageSeq: 0, recordSeq: 0, recordVersion: v });
    expect([v, probeDtlsClientHello(x, 0, x.length)]).toEqual([v, false]);
  }
});

test('the second hello carries the HelloVerifyRequest cookie and is read past it', () => {
  const cookie = hex('00112233445566778899aabbccddeeff0011223344');
  const body = dtlsClientHelloBody({ seed: 'coap', serverName: 'lwm2m.example.com', cookie });
  const [d] = dtlsHandshakeDatagrams(CH, body, { messageSeq: 1, recordSeq: 1 });
  expect(foundAt(feedAll([d]), 0).sni).toBe('lwm2m.example.com');
  // A cookie length that runs past the message is a malformed hello, not a misread.
  const bad = body.slice();
  bad[2 + 32 + 1] = 250;
  const [b] = dtlsHandshakeDatagrams(CH, bad, { messageSeq: 1, recordSeq: 1 });
  expect(feedAll([b])[0]).toEqual({ kind: 'malformed', anomaly: A['tls.malformed_client_hello'] });
});

test('a post-quantum DTLS 1.3 hello in four fragments: named when the last arrives, JA4 "dd3"', () => {
  expect(pq.length).toBeGreaterThan(1300);
  const ds = dtlsHandshakeDatagrams(CH, pq, { messageSeq: 0, recordSeq: 0, fragment: 400 });
  expect(ds.length).toBe(4);
  // Only the first datagram starts at offset 0; a later fragment alone still passes the probe.
  for (const d of ds) expect(probeDtlsClientHello(d, 0, d.length)).toBe(true);
  const hello = foundAt(feedAll(ds), 3);
  expect(hello).toMatchObject({ sni: 'dtls13.example.net', alpn: ['coap'], supportedVersions: [0xfefc, 0xfefd] });
  expect(hello.keyShareGroups).toEqual([TLS_GROUP_X25519MLKEM768, TLS_GROUP_X25519]);
  expect(ja4(hello, 'dtls')).toMatch(/^dd3d0508cp_/);
  expect(fingerprints(hello, 'dtls').ja4).toBe(ja4(hello, 'dtls'));
  // The same hello over TCP would be a "t" fingerprint: the transport is part of the memo key.
  expect(fingerprints(hello, 'tcp').ja4).toMatch(/^t/);
});

test('fragments out of order and retransmitted are put together; the hello is named at the fragment that completes it', () => {
  const ds = dtlsHandshakeDatagrams(CH, pq, { messageSeq: 0, recordSeq: 0, fragment: 300 });
  const order = [ds[3], ds[0], ds[3], ds[4], ds[1], ds[0], ds[2]];
  expect(foundAt(feedAll(order), 6).sni).toBe('dtls13.example.net');
});

test('several fragments in one datagram, as records one after another', () => {
  const ds = dtlsHandshakeDatagrams(CH, pq, { messageSeq: 0, recordSeq: 0, fragment: 500 });
  expect(foundAt(feedAll([concat(ds[0], ds[1]), ds[2]]), 1).sni).toBe('dtls13.example.net');
  expect(foundAt(feedAll([concat(...ds)]), 0).sni).toBe('dtls13.example.net');
});

test('the cookie hello (message_seq 1) supersedes an incomplete first one; late pieces of the first are skipped', () => {
  const first = dtlsHandshakeDatagrams(CH, pq, { messageSeq: 0, recordSeq: 0, fragment: 600 });
  const body2 = dtlsClientHelloBody({ seed: 'pq2', serverName: 'second.example.net', cookie: hex('0102030405060708'), dtls13: { keyShareGroups: [TLS_GROUP_X25519MLKEM768] } });
  const second = dtlsHandshakeDatagrams(CH, body2, { messageSeq: 1, recordSeq: 3, fragment: 600 });
  expect(second.length).toBe(3);
  const r = feedAll([first[0], second[0], first[1], first[2], second[1], second[2]]);
  expect(foundAt(r, 5).sni).toBe('second.example.net');
});

test('the probe: DNS queries, QUIC Initials, TLS records, epoch 1 and other handshake messages are not DTLS hellos', () => {
  const [d] = dtlsHandshakeDatagrams(CH, plain, { messageSeq: 0, recordSeq: 0 });
  const variants: Array<[string, Uint8Array]> = [
    ['a DNS query', hex('16fe0100000100000000000003777777076578616d706c6503636f6d0000010001')],
    ['a QUIC Initial', hex('c300000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399')],
    ['a TLS record', concat(hex('16030100'), d.subarray(4))],
    ['epoch 1', (() => { const x = d.slice(); x[4] = 1; return x; })()],
    ['a HelloVerifyRequest', (() => { const x = d.slice(); x[13] = 3; return x; })()],
    ['a record longer than the datagram', d.subarray(0, d.length - 1)],
    ['a fragment past the message', (() => { const x = d.slice(); x[13 + 6 + 2] = 5; return x; })()],
    ['12 bytes', d.subarray(0, 12)],
  ];
  for (const [what, bytes] of variants) expect([what, probeDtlsClientHello(bytes, 0, bytes.length)]).toEqual([what, false]);
  expect(new DtlsHelloAssembler().feed(variants[0][1], 0, variants[0][1].length)).toEqual({ kind: 'not-tls' });
  expect(probeDtlsClientHello(d, 0, d.length + 1)).toBe(false); // past the buffer
});

test('lying lengths and the bounds: each is a named anomaly, never a throw or an unchecked allocation', () => {
  const [d] = dtlsHandshakeDatagrams(CH, plain, { messageSeq: 0, recordSeq: 0 });
  const one = (bytes: Uint8Array): ClientHelloResult => new DtlsHelloAssembler().feed(bytes, 0, bytes.length);
  // The record says more than the datagram holds.
  expect(one(d.subarray(0, d.length - 3))).toEqual({ kind: 'malformed', anomaly: A['tls.record_bad_length'] });
  // The fragment says more than its record holds.
  const longFrag = d.slice();
  longFrag[13 + 11] += 1;
  expect(one(longFrag)).toEqual({ kind: 'malformed', anomaly: A['tls.malformed_client_hello'] });
  // A message over MAX_CLIENT_HELLO_LENGTH, sent as a small first fragment.
  const big = dtlsHandshakeDatagrams(CH, new Uint8Array(MAX_CLIENT_HELLO_LENGTH), { messageSeq: 0, recordSeq: 0, fragment: 100 })[0];
  expect(one(big)).toEqual({ kind: 'malformed', anomaly: A['tls.client_hello_too_large'] });
  // Fragments of one message that disagree on its length.
  const a = dtlsHandshakeDatagrams(CH, pq, { messageSeq: 0, recordSeq: 0, fragment: 700 });
  const b = dtlsHandshakeDatagrams(CH, concat(pq, new Uint8Array(10)), { messageSeq: 0, recordSeq: 2, fragment: 700 });
  expect(feedAll([a[0], b[1]])[1]).toEqual({ kind: 'malformed', anomaly: A['dtls.fragments_malformed'] });
  // MAX_DTLS_FRAGMENT_RANGES disjoint pieces: 1-byte fragments at every other offset.
  const asm = new DtlsHelloAssembler();
  const pieces = dtlsHandshakeDatagrams(CH, pq, { messageSeq: 0, recordSeq: 0, fragment: 1 }).filter((_, i) => i % 2 === 1);
  const results = pieces.slice(0, MAX_DTLS_FRAGMENT_RANGES).map((p) => asm.feed(p, 0, p.length));
  expect(results.slice(0, -1).every((r) => r.kind === 'need-more')).toBe(true);
  expect(results[results.length - 1]).toEqual({ kind: 'malformed', anomaly: A['dtls.fragments_malformed'] });
});

test('the bytes are charged to the stream-head budget: a flood of first fragments sheds the oldest hellos', () => {
  const budget = new StreamHeadBudget(8 * 1024);
  const frags = dtlsHandshakeDatagrams(CH, pq, { messageSeq: 0, recordSeq: 0, fragment: 600 });
  const flows = Array.from({ length: 10 }, () => new DtlsHelloAssembler(budget));
  for (const a of flows) expect(a.feed(frags[0], 0, frags[0].length).kind).toBe('need-more');
  expect(budget.usedBytes).toBeLessThanOrEqual(8 * 1024 + 2048);
  expect(budget.shedHeads).toBeGreaterThan(0);
  // The first flow's hello was shed: the rest of it no longer completes it.
  expect(flows[0].feed(frags[1], 0, frags[1].length)).toEqual({ kind: 'malformed', anomaly: A['stream.head_overflow'] });
  // The newest is still whole once its other fragments come.
  const last = flows[9];
  expect(last.feed(frags[1], 0, frags[1].length).kind).toBe('need-more');
  expect(last.feed(frags[2], 0, frags[2].length)).toMatchObject({ kind: 'found', hello: { sni: 'dtls13.example.net' } });
});

test('property: any cut of the hello into fragments, sent in any order with repeats, names it exactly when the last gap closes', () => {
  fc.assert(fc.property(
    fc.uniqueArray(fc.integer({ min: 1, max: pq.length - 1 }), { maxLength: 12 }),
    fc.array(fc.nat(), { minLength: 1, maxLength: 24 }),
    (cutsIn, picks) => {
      const cuts = [0, ...cutsIn.sort((x, y) => x - y), pq.length];
      const frags = cuts.slice(1).map((end, i) => {
        const start = cuts[i];
        const piece = pq.subarray(start, end);
        const hs = concat(Uint8Array.of(CH, pq.length >> 16, (pq.length >> 8) & 0xff, pq.length & 0xff, 0, 0,
          start >> 16, (start >> 8) & 0xff, start & 0xff, piece.length >> 16, (piece.length >> 8) & 0xff, piece.length & 0xff), piece);
        return concat(Uint8Array.of(22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, i, hs.length >> 8, hs.length & 0xff), hs);
      });
      // Any order with repeats, then every fragment once so the hello is always completed.
      const order = [...picks.map((p) => frags[p % frags.length]), ...frags];
      const asm = new DtlsHelloAssembler();
      const seen = new Set<number>();
      for (const d of order) {
        seen.add(frags.indexOf(d));
        const r = asm.feed(d, 0, d.length);
        if (seen.size === frags.length) {
          expect(r.kind === 'found' && r.hello.sni).toBe('dtls13.example.net');
          return;
        }
        expect(r.kind).toBe('need-more');
      }
    }));
});

test('property: random bytes, and random damage to a real hello, never throw and stay in the result vocabulary', () => {
  const [d] = dtlsHandshakeDatagrams(CH, plain, { messageSeq: 0, recordSeq: 0 });
  const kinds = new Set(['found', 'need-more', 'not-tls', 'malformed']);
  fc.assert(fc.property(
    fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.tuple(fc.nat(d.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(d.length)).map(([i, v, cut]) => {
        const x = d.slice(0, Math.max(cut, 1));
        x[Math.min(i, x.length - 1)] = v;
        return x;
      }),
    ),
    (bytes) => {
      const asm = new DtlsHelloAssembler();
      for (let k = 0; k < 3; k++) expect(kinds.has(asm.feed(bytes, 0, bytes.length).kind)).toBe(true);
      expect(typeof probeDtlsClientHello(bytes, 0, bytes.length)).toBe('boolean');
    }));
});
