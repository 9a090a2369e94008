/**
 * fast-check properties for the decoders no other property covers (issue 6 §1): StreamHead
 * reassembly (any segments, any order, any overlap and sequence wrap) and the rules loader (any
 * text, and mutations of a valid pack). The others live beside their modules and are reused, not
 * repeated: decode (link, IPv4/IPv6, TCP/UDP, tunnels, IP reassembly)
 * test/unit/decode/decode-property.test.ts; DNS test/unit/extract/dns-property.test.ts;
 * ClientHello, HTTP head, QUIC Initial, gQUIC and CRYPTO reassembly in their tests under
 * test/unit/extract/; the pcap and pcapng readers test/unit/capture/reader-fuzz.test.ts; and the
 * whole pipeline pipeline-mutation.fuzz.test.ts.
 */
import fc from 'fast-check';
import { RulesInvalidError } from '../../src/errors';
import { StreamHead, StreamHeadBudget, STREAM_HEAD_BYTES } from '../../src/flow/stream-head';
import { loadPackText } from '../../src/policy/load-rules';

/** Executions per property in CI (reported in the README). */
export const RUNS = { streamHead: 2000, rulesText: 1500, rulesMutation: 1500 } as const;

describe('StreamHead', () => {
  test('any segments: the contiguous prefix equals the stream, first copy wins, never past the bound', () => {
    const stream = Uint8Array.from({ length: STREAM_HEAD_BYTES + 512 }, (_, i) => (i * 7 + 3) & 0xff);
    const segment = fc.record({
      start: fc.oneof(fc.nat(STREAM_HEAD_BYTES + 400), fc.integer({ min: -3000, max: 0 })),
      len: fc.integer({ min: 0, max: 3000 }),
      corrupt: fc.boolean(), // a retransmission with different bytes
    });
    fc.assert(fc.property(fc.array(segment, { maxLength: 40 }), fc.nat(), (segs, isnRaw) => {
      const base = isnRaw >>> 0; // any ISN, so sequence numbers wrap
      const h = new StreamHead(base, 2048, new StreamHeadBudget(1 << 30));
      const written = new Int16Array(STREAM_HEAD_BYTES).fill(-1); // model: first byte written at each offset
      for (const s of segs) {
        const from = Math.max(0, s.start);
        const to = Math.min(stream.length, s.start + s.len);
        if (to <= from && s.start >= 0) continue;
        const data = new Uint8Array(64 + s.len + 64).fill(0xee); // canaries around the segment
        for (let i = 0; i < s.len; i++) {
          const at = s.start + i;
          data[64 + i] = s.corrupt ? 0x55 : at >= 0 && at < stream.length ? stream[at] : 0;
        }
        h.add((base + s.start) >>> 0, data, 64, s.len);
        for (let i = 0; i < s.len; i++) {
          const at = s.start + i;
          if (at >= 0 && at < STREAM_HEAD_BYTES && written[at] < 0) written[at] = data[64 + i];
        }
      }
      expect(h.contiguous).toBeLessThanOrEqual(STREAM_HEAD_BYTES);
      expect(h.buf.length).toBeLessThanOrEqual(STREAM_HEAD_BYTES);
      let expectContig = 0;
      while (expectContig < STREAM_HEAD_BYTES && written[expectContig] >= 0) expectContig++;
      if (!h.shed) {
        // Holes are tracked up to a bound; past it the head may stop short of the model, never beyond.
        expect(h.contiguous).toBeLessThanOrEqual(expectContig);
        for (let i = 0; i < h.contiguous; i++) if (h.buf[i] !== written[i]) throw new Error(`byte ${i}: ${h.buf[i]} != ${written[i]}`);
      }
    }), { numRuns: RUNS.streamHead, seed: 6 });
  });
});

describe('rules loader', () => {
  const VALID = `version: 1
device:
  name: Test device
document:
  title: Test document
  vendor: Test vendor
  source: https://example.com/doc
  retrieved: 2025-01-31
egress:
  - id: r1
    description: HTTPS to the vendor
    source: "line 3"
    proto: tcp
    ports: [443, 8000-8100]
    hosts: ["*.example.com", api.example.org]
`;
  const YAML_BITS = ['&a ', '*a', '<<: *a', '[', ']', '{', '}', ': ', '- ', '\n', '  ', '"', "'", '!!binary ', '!!js/function ', '#', '|', '>', '? ', '%YAML 1.2\n', '---\n', '...\n', '\t', '\u0000', '\ufeff', 'ports: [', '-1', '99999', '*.', '**'];

  function loadOrRulesError(text: string): void {
    const t0 = performance.now();
    try {
      loadPackText(text, 'fuzz.yaml');
    } catch (e) {
      if (!(e instanceof RulesInvalidError)) throw new Error(`not a RulesInvalidError: ${(e as Error)?.stack ?? String(e)}`);
      expect(e.message.split('\n').length).toBeLessThanOrEqual(3);
    }
    expect(performance.now() - t0).toBeLessThan(2000);
  }

  test('any text: a pack or one RulesInvalidError, in bounded time', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 400 }), fc.array(fc.constantFrom(...YAML_BITS), { maxLength: 80 }).map((a) => a.join(''))), (text) => {
      loadOrRulesError(text);
    }), { numRuns: RUNS.rulesText, seed: 6 });
  });

  test('mutations of a valid pack: a pack or one RulesInvalidError, in bounded time', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.nat(VALID.length), fc.nat(8), fc.constantFrom(...YAML_BITS)), { minLength: 1, maxLength: 6 }),
      (edits) => {
        let t = VALID;
        for (const [at, del, ins] of edits) t = t.slice(0, Math.min(at, t.length)) + ins + t.slice(Math.min(at, t.length) + del);
        loadOrRulesError(t);
      },
    ), { numRuns: RUNS.rulesMutation, seed: 6 });
  });
});
