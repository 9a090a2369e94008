/**
 * Property tests for the DNS parser (fast-check): any bytes → no throw, bounded time, and every
 * name it returns obeys the RFC 1035 limits and our presentation rules.
 */
import fc from 'fast-check';
import { AnomalyCounters } from '../../../src/anomalies';
import { DnsNameReader, DNS_MAX_RECORDS_PER_SECTION, parseDnsMessage, splitDnsTcpStream } from '../../../src/extract/dns';

/** Presentation text allowed by our name rules: lowercase printable ASCII or \DDD, '.'-separated. */
const LABEL = /^(?:[\x21-\x2d\x2f-\x40\x5b\x5d-\x7e]|\\\d{3})+$/;

/** Wire length implied by a presentation name (each \DDD is one octet). */
function wireLength(name: string): number {
  if (name === '.') return 1;
  return name.split('.').reduce((n, label) => n + 1 + label.replace(/\\\d{3}/g, 'x').length, 1);
}

function checkName(name: string): void {
  expect(typeof name).toBe('string');
  if (name === '.') return;
  expect(name.endsWith('.')).toBe(false);
  expect(wireLength(name)).toBeLessThanOrEqual(255);
  for (const label of name.split('.')) {
    expect(label).toMatch(LABEL);
    expect(label.replace(/\\\d{3}/g, 'x').length).toBeLessThanOrEqual(63);
    expect(label).toBe(label.toLowerCase());
  }
}

/** Biased input: a plausible header (so the sections get exercised) followed by random bytes rich in pointers. */
const messageBytes = fc.tuple(
  fc.integer({ min: 0, max: 0xffff }),
  fc.constantFrom(0x0100, 0x8180, 0x8183, 0x8400),
  fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 4, maxLength: 4 }),
  fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0xc0, 0xc0, 0x0c, 0x00, 0x01, 0x03, 0x3f, 0x40, 0x80)), { maxLength: 600 }),
).map(([id, flags, counts, rest]) => Uint8Array.from([
  id >> 8, id & 0xff, flags >> 8, flags & 0xff, 0, counts[0], 0, counts[1], 0, counts[2], 0, counts[3], ...rest,
]));

describe('parseDnsMessage properties', () => {
  test('random bytes and random header-shaped messages: never throw, names obey the limits', () => {
    const names = new DnsNameReader();
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 700 }), messageBytes), fc.boolean(), (buf, want) => {
      const anomalies = new AnomalyCounters();
      const t0 = performance.now();
      const msg = parseDnsMessage(buf, 0, buf.length, anomalies, want, names);
      // A loop would never return (jest's timeout catches that); this bound only flags pathological
      // slowness and is generous because the test machine's two cores are shared.
      expect(performance.now() - t0).toBeLessThan(1000);
      if (buf.length < 12) { expect(msg).toBeNull(); return; }
      expect(msg).not.toBeNull();
      expect(msg!.questions.length).toBeLessThanOrEqual(DNS_MAX_RECORDS_PER_SECTION);
      expect(msg!.answers.length).toBeLessThanOrEqual(DNS_MAX_RECORDS_PER_SECTION);
      for (const q of msg!.questions) checkName(q.name);
      for (const a of msg!.answers) {
        checkName(a.name);
        expect(a.ttl).toBeGreaterThanOrEqual(0);
        expect(a.ttl).toBeLessThanOrEqual(0xffffffff);
        if (a.type === 5 || a.type === 12 || a.type === 2) { if (!a.data.startsWith('\\#')) checkName(a.data); }
      }
    }), { numRuns: 3000 });
  });

  test('splitDnsTcpStream: message bounds stay inside the input and cover it in order', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(20), (buf, skip) => {
      const off = Math.min(skip, buf.length);
      const r = splitDnsTcpStream(buf, off, buf.length - off);
      let p = off;
      for (const [o, l] of r.messages) {
        expect(o).toBe(p + 2);
        expect(o + l).toBeLessThanOrEqual(buf.length);
        p = o + l;
      }
      expect(r.consumed).toBe(p - off);
      expect(r.needMore && r.bad).toBe(false);
    }), { numRuns: 2000 });
  });
});
