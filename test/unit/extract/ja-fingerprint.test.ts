/**
 * JA3 / JA4: the spec's own worked example, edge cases of the FoxIO JA4 text (ALPN hex rule,
 * version choice, 99 caps, empty lists), and a cross-check against `read-tls-client-hello` on
 * generated hellos (real ones are in tls-corpus.test.ts).
 */
import { createHash } from 'crypto';
import { PassThrough } from 'stream';
import fc from 'fast-check';
import { calculateJa3, calculateJa4, readTlsClientHello } from 'read-tls-client-hello';
import { ClientHelloInfo, parseClientHelloMessage } from '../../../src/extract/tls-client-hello';
import { fingerprints, ja3, ja4, ja4Alpn } from '../../../src/extract/tls-fingerprint';
import { clientHelloMessage, concat, ext, HelloSpec, pqHello, tls12Plain, tls13Grease, TlsExt } from './helpers/tls-builder';

function info(over: Partial<ClientHelloInfo>): ClientHelloInfo {
  return {
    sni: null, alpn: [], legacyVersion: 0x0303, supportedVersions: [], cipherSuites: [], extensionTypes: [],
    supportedGroups: [], ecPointFormats: [], signatureAlgorithms: [], keyShareGroups: [], ech: false, esni: false,
    messageLength: 0, anomalies: [], partial: false, ...over,
  };
}

function parsed(spec: HelloSpec): { hello: ClientHelloInfo; message: Uint8Array } {
  const message = clientHelloMessage(spec);
  const r = parseClientHelloMessage(message, 0, message.length);
  if (r.kind !== 'found') throw new Error(JSON.stringify(r));
  return { hello: r.hello, message };
}

async function reference(message: Uint8Array): Promise<{ ja3: string; ja4: string }> {
  const rec = concat(Uint8Array.of(22, 3, 1, message.length >> 8, message.length & 0xff), message);
  const p = await readTlsClientHello(new PassThrough().end(Buffer.from(rec)) as PassThrough);
  return { ja3: calculateJa3(p), ja4: calculateJa4(p) };
}

// The JA4.md example: 15 ciphers, 16 extensions (SNI, ALPN h2), 8 signature algorithms.
const SPEC_EXAMPLE = info({
  sni: 'example.com',
  alpn: ['h2', 'http/1.1'],
  supportedVersions: [0x0a0a, 0x0304, 0x0303],
  cipherSuites: [0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035],
  extensionTypes: [0x0a0a, 0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b, 0x000a, 0x0015],
  signatureAlgorithms: [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601],
});

describe('ja4', () => {
  test('the spec example: t13d1516h2_8daaf6152771_e5627efa2ab1 (GREASE ignored)', () => {
    expect(ja4(SPEC_EXAMPLE, 'tcp')).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1');
  });
  test('QUIC uses "q"', () => {
    expect(ja4(SPEC_EXAMPLE, 'quic').startsWith('q13d1516h2_')).toBe(true);
  });
  test('no signature algorithms: the extension string is hashed without "_" (spec: 6d807ffa2a79)', () => {
    expect(ja4({ ...SPEC_EXAMPLE, signatureAlgorithms: [] }, 'tcp').endsWith('_6d807ffa2a79')).toBe(true);
  });
  test('SNI extension absent → "i"; present but empty → still "d" (the spec looks at the extension)', () => {
    expect(ja4({ ...SPEC_EXAMPLE, sni: null, extensionTypes: SPEC_EXAMPLE.extensionTypes.filter((e) => e !== 0) }, 'tcp').slice(3, 4)).toBe('i');
    expect(ja4({ ...SPEC_EXAMPLE, sni: null }, 'tcp').slice(3, 4)).toBe('d');
  });
  test('version: highest non-GREASE supported_versions, else legacy_version', () => {
    const v = (o: Partial<ClientHelloInfo>) => ja4(info({ cipherSuites: [0x1301], ...o }), 'tcp').slice(1, 3);
    expect(v({ supportedVersions: [0x0303, 0x0304] })).toBe('13');
    expect(v({ supportedVersions: [0xfafa], legacyVersion: 0x0303 })).toBe('12');
    expect(v({ legacyVersion: 0x0301 })).toBe('10');
    expect(v({ legacyVersion: 0x0300 })).toBe('s3');
    expect(v({ legacyVersion: 0x0002 })).toBe('s2');
    expect(v({ legacyVersion: 0xfefd })).toBe('d2');
    expect(v({ supportedVersions: [0x7f17, 0x0303] })).toBe('00'); // draft-23 is the highest value
  });
  test('counts are capped at 99', () => {
    const many = Array.from({ length: 120 }, (_, i) => 0x0100 + i);
    expect(ja4(info({ cipherSuites: many, extensionTypes: many }), 'tcp').slice(4, 8)).toBe('9999');
  });
  test('no ciphers / no extensions besides SNI and ALPN → 000000000000', () => {
    expect(ja4(info({ extensionTypes: [0, 16], alpn: ['h2'] }), 'tcp')).toBe('t12d0002h2_000000000000_000000000000');
  });
  test('ALPN characters (JA4.md "ALPN Extension Value")', () => {
    expect(ja4Alpn(undefined)).toBe('00');
    expect(ja4Alpn('h2')).toBe('h2');
    expect(ja4Alpn('http/1.1')).toBe('h1');
    expect(ja4Alpn('h3-29')).toBe('h9');
    expect(ja4Alpn('a')).toBe('aa');
    // Non-alphanumeric first or last byte: first and last characters of the value's hex form.
    expect(ja4Alpn('\\171\\205')).toBe('ad'); // 0xAB 0xCD
    expect(ja4Alpn('\\171')).toBe('ab'); // 0xAB
    expect(ja4Alpn('0\\171')).toBe('3b'); // 0x30 0xAB
    expect(ja4Alpn('01\\171\\205')).toBe('3d'); // 0x30 0x31 0xAB 0xCD
    expect(ja4Alpn('0\\171\\2051')).toBe('01'); // 0x30 0xAB 0xCD 0x31
    expect(ja4Alpn('h2/')).toBe('6f'); // "h2/" = 68 32 2f
    expect(ja4Alpn('\\092x')).toBe('58'); // a literal backslash (0x5c) then 'x' (0x78)
  });
});

describe('ja3', () => {
  test('text and MD5 of the spec example (GREASE removed, decimal values)', () => {
    const h = { ...SPEC_EXAMPLE, supportedGroups: [0x0a0a, 29, 23, 24], ecPointFormats: [0] };
    const { text, hash } = ja3(h);
    expect(text).toBe('771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,' +
      '27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0');
    expect(hash).toBe(createHash('md5').update(text).digest('hex'));
  });
  test('empty lists stay as empty fields', () => {
    expect(ja3(info({ legacyVersion: 0x0301, cipherSuites: [0x2f] })).text).toBe('769,47,,,');
  });
});

describe('fingerprints (memoised on the hello shape)', () => {
  const direct = (h: ClientHelloInfo, t: 'tcp' | 'quic') => ({ ja3: ja3(h).hash, ja4: ja4(h, t) });
  test('equals JA3/JA4 computed directly, for hellos that differ in one value of one input', () => {
    // Each variant changes exactly one input of JA3 or JA4; the memo must never hand back the
    // fingerprint of the hello it saw before.
    const variants: ClientHelloInfo[] = [
      SPEC_EXAMPLE,
      { ...SPEC_EXAMPLE, legacyVersion: 0x0301 },
      { ...SPEC_EXAMPLE, supportedVersions: [0x0303] },
      { ...SPEC_EXAMPLE, cipherSuites: [...SPEC_EXAMPLE.cipherSuites.slice(0, -1), 0x0036] },
      { ...SPEC_EXAMPLE, extensionTypes: SPEC_EXAMPLE.extensionTypes.slice(0, -1) },
      { ...SPEC_EXAMPLE, supportedGroups: [0x001d] },
      { ...SPEC_EXAMPLE, ecPointFormats: [0] },
      { ...SPEC_EXAMPLE, signatureAlgorithms: [0x0403] },
      { ...SPEC_EXAMPLE, alpn: ['http/1.1'] },
      { ...SPEC_EXAMPLE, alpn: [] },
    ];
    for (let round = 0; round < 2; round++) {
      for (const h of variants) for (const t of ['tcp', 'quic'] as const) expect(fingerprints(h, t)).toEqual(direct(h, t));
    }
    const seen = new Set(variants.map((h) => fingerprints(h, 'tcp').ja3 + fingerprints(h, 'tcp').ja4));
    expect(seen.size).toBe(variants.length);
  });
  test('GREASE values stand for one another (both fingerprints drop them), other values do not', () => {
    const a = info({ cipherSuites: [0x0a0a, 0x1301], extensionTypes: [0x1a1a, 0x0000], supportedGroups: [0x2a2a, 0x001d] });
    const b = info({ cipherSuites: [0xfafa, 0x1301], extensionTypes: [0x3a3a, 0x0000], supportedGroups: [0x4a4a, 0x001d] });
    const c = info({ cipherSuites: [0x0a0b, 0x1301], extensionTypes: [0x1a1a, 0x0000], supportedGroups: [0x2a2a, 0x001d] });
    expect(fingerprints(a, 'tcp')).toEqual(direct(a, 'tcp'));
    expect(fingerprints(b, 'tcp')).toEqual(direct(b, 'tcp'));
    expect(direct(b, 'tcp')).toEqual(direct(a, 'tcp'));
    expect(fingerprints(c, 'tcp')).toEqual(direct(c, 'tcp'));
    expect(direct(c, 'tcp')).not.toEqual(direct(a, 'tcp'));
  });
  test('hellos that differ only in list order share a JA4 (the order-free memo) but not a JA3; signature order still counts', () => {
    const base = info({
      cipherSuites: [0x1301, 0x1302, 0xc02f], extensionTypes: [0x0000, 0x0010, 0x002b, 0x000d, 0x0033],
      signatureAlgorithms: [0x0403, 0x0804], supportedVersions: [0x0304], alpn: ['h2'],
    });
    const shuffled = { ...base, cipherSuites: [0xc02f, 0x1301, 0x1302], extensionTypes: [0x0033, 0x000d, 0x0000, 0x002b, 0x0010] };
    const sigsSwapped = { ...base, signatureAlgorithms: [0x0804, 0x0403] };
    for (const h of [base, shuffled, sigsSwapped, shuffled, base]) expect(fingerprints(h, 'tcp')).toEqual(direct(h, 'tcp'));
    expect(fingerprints(shuffled, 'tcp').ja4).toBe(fingerprints(base, 'tcp').ja4);
    expect(fingerprints(shuffled, 'tcp').ja3).not.toBe(fingerprints(base, 'tcp').ja3);
    expect(fingerprints(sigsSwapped, 'tcp').ja4).not.toBe(fingerprints(base, 'tcp').ja4);
    expect(fingerprints(shuffled, 'quic').ja4).not.toBe(fingerprints(shuffled, 'tcp').ja4);
  });
  test('random hellos, each asked twice: always the direct values', () => {
    const u16 = fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0x0a0a, 0x1a1a, 0xfafa));
    fc.assert(
      fc.property(
        fc.array(u16, { maxLength: 12 }), fc.array(u16, { maxLength: 12 }), fc.array(u16, { maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 3 }), fc.array(u16, { maxLength: 6 }), fc.array(u16, { maxLength: 3 }),
        fc.option(fc.stringMatching(/^[a-z0-9]{1,4}$/), { nil: undefined }), fc.constantFrom('tcp' as const, 'quic' as const),
        (cipherSuites, extensionTypes, supportedGroups, ecPointFormats, signatureAlgorithms, supportedVersions, alpn0, t) => {
          const h = info({ cipherSuites, extensionTypes, supportedGroups, ecPointFormats, signatureAlgorithms, supportedVersions, alpn: alpn0 === undefined ? [] : [alpn0] });
          expect(fingerprints(h, t)).toEqual(direct(h, t));
          expect(fingerprints(h, t)).toEqual(direct(h, t));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('cross-check with read-tls-client-hello on generated hellos', () => {
  test.each([
    ['TLS 1.2 plain', tls12Plain()],
    ['TLS 1.3 with GREASE', tls13Grease()],
    ['post-quantum + ECH', pqHello()],
    ['no SNI', { ciphers: [0x1301, 0x1302], extensions: [ext.alpn(['http/1.1']), ext.versions([0x0304]), ext.sigAlgs([0x0804])] }],
    ['SNI last, no ALPN, no sigalgs', { ciphers: [0xc02f], extensions: [ext.groups([29]), ext.pointFormats([0]), ext.sni('z.example')] }],
  ] as [string, HelloSpec][])('%s', async (_name, spec) => {
    const { hello, message } = parsed(spec);
    const ref = await reference(message);
    expect(ja3(hello).hash).toBe(ref.ja3);
    expect(ja4(hello, 'tcp')).toBe(ref.ja4);
  });

  test('random hellos (alphanumeric ALPN, TLS 1.3 or 1.2, < 100 values): identical JA3 and JA4', async () => {
    // The library's GREASE test is looser than RFC 8701 ((v & 0x0f0f) == 0x0a0a only), so keep
    // generated values clear of that pattern; real GREASE values are covered by the presets.
    const u16 = fc.integer({ min: 1, max: 0xfeff }).filter((v) => (v & 0x0f0f) !== 0x0a0a);
    const extType = u16.filter((t) => ![0, 10, 11, 13, 16, 43, 51].includes(t));
    const alnum = fc.stringMatching(/^[a-z0-9]{1,8}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(u16, { minLength: 1, maxLength: 40 }),
        fc.uniqueArray(extType, { maxLength: 20 }),
        fc.boolean(), fc.boolean(), fc.option(alnum), fc.array(u16, { maxLength: 10 }), fc.array(u16, { maxLength: 10 }),
        async (ciphers, others, withSni, tls13, alpn, groups, sigs) => {
          const exts: TlsExt[] = others.map((t) => ext.raw(t));
          if (withSni) exts.push(ext.sni('r.example'));
          if (tls13) exts.push(ext.versions([0x0304, 0x0303]));
          if (alpn !== null) exts.push(ext.alpn([alpn]));
          if (groups.length) exts.push(ext.groups(groups), ext.pointFormats([0]));
          if (sigs.length) exts.push(ext.sigAlgs(sigs));
          const { hello, message } = parsed({ ciphers, extensions: exts });
          const ref = await reference(message);
          expect(ja3(hello).hash).toBe(ref.ja3);
          const ours = ja4(hello, 'tcp');
          if (exts.every((e) => e.type === 0 || e.type === 16)) {
            // No extension left once SNI and ALPN are set aside: FoxIO's JA4.md sets JA4_c to
            // 000000000000 ("rather than running a sha256 hash of nothing"); the library hashes the
            // empty string (e3b0c44298fc). Everything else must still agree.
            expect(ours.slice(0, -12)).toBe(ref.ja4.slice(0, -12));
            expect(ours.slice(-12)).toBe('000000000000');
          } else {
            expect(ours).toBe(ref.ja4);
          }
        },
      ),
      // Fixed seed: CI must be deterministic (this property once drew the empty-extension case only on some seeds).
      { numRuns: 200, seed: 0x5eed },
    );
  });
});
