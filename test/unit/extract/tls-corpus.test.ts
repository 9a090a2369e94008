/**
 * Real ClientHellos from the shared corpus (/work/shared/corpus) against tshark's ground truth
 * (expected/<stem>.json → tls.client_hellos[]), and JA3/JA4 against the `read-tls-client-hello`
 * reference implementation. Streams are reassembled by the test-local walker in helpers/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PassThrough } from 'stream';
import { calculateJa3, calculateJa4, readTlsClientHello } from 'read-tls-client-hello';
import { describeShared, sharedPath } from '../../helpers/shared';
import { parseClientHelloRecords, ClientHelloInfo } from '../../../src/extract/tls-client-hello';
import { ja3, ja4 } from '../../../src/extract/tls-fingerprint';
import { canonicalAddress, tcpDirections, TcpDirection } from './helpers/pcap-client-streams';
import { concat } from './helpers/tls-builder';

interface ExpectedHello {
  transport: string;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  server_name: string | null;
  extension_types: number[];
  legacy_version: string;
  supported_versions: string[];
  key_share_groups: string[];
  ech_or_esni: string[];
  handshake_length: number | null;
}

/** Handshake bytes of the first message in a record stream (test-side, no validation). */
function handshakeBytes(stream: Uint8Array, total: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let o = 0;
  let n = 0;
  while (n < total && o + 5 <= stream.length) {
    const len = (stream[o + 3] << 8) | stream[o + 4];
    const take = Math.min(len, total - n);
    parts.push(stream.subarray(o + 5, o + 5 + take));
    n += take;
    o += 5 + len;
  }
  return concat(...parts);
}

/** The reference library reads exactly one record, so hand it the message in one record. */
async function reference(message: Uint8Array): Promise<{ ja3: string; ja4: string }> {
  const rec = concat(Uint8Array.of(22, 3, 1, message.length >> 8, message.length & 0xff), message);
  const parsed = await readTlsClientHello(new PassThrough().end(Buffer.from(rec)) as PassThrough);
  return { ja3: calculateJa3(parsed), ja4: calculateJa4(parsed) };
}

const hex4 = (v: number) => '0x' + v.toString(16).padStart(4, '0');

function captureFor(stem: string): string | null {
  for (const ext of ['.pcap', '.pcapng']) {
    const p = sharedPath('corpus', stem + ext);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

describeShared('ClientHellos from corpus captures', () => {
  const expectedDir = sharedPath('corpus', 'expected');
  const cases: { stem: string; hello: ExpectedHello }[] = [];
  for (const f of fs.existsSync(expectedDir) ? fs.readdirSync(expectedDir) : []) {
    if (!f.endsWith('.json')) continue;
    const j = JSON.parse(fs.readFileSync(path.join(expectedDir, f), 'utf8'));
    for (const h of (j.tls?.client_hellos ?? []) as ExpectedHello[]) {
      if (h.transport === 'tcp') cases.push({ stem: f.slice(0, -5), hello: h });
    }
  }
  const dirCache = new Map<string, TcpDirection[]>();
  function streamOf(stem: string, h: ExpectedHello): TcpDirection | undefined {
    const file = captureFor(stem);
    if (!file) return undefined;
    if (!dirCache.has(stem)) dirCache.set(stem, tcpDirections(file));
    return dirCache.get(stem)!.find((d) => d.sport === h.sport && d.dport === h.dport &&
      canonicalAddress(d.src) === canonicalAddress(h.src) && canonicalAddress(d.dst) === canonicalAddress(h.dst));
  }

  const matched: string[] = [];
  const refDiffs: string[] = [];

  test.each(cases.map((c, i) => [`${c.stem} #${i} ${c.hello.server_name ?? '(no SNI)'}`, c] as const))('%s', async (_name, { stem, hello: want }) => {
    const dir = streamOf(stem, want);
    // The walker skips tunnels (6in4) — those hellos are covered by the pipeline tests instead.
    if (!dir) return;
    const r = parseClientHelloRecords(dir.head, 0, dir.head.length);
    if (want.legacy_version === '0x0002') {
      // SSLv2-compatible hello (zeek__tls__ssl-v2): documented as not-tls.
      expect(r.kind).toBe('not-tls');
      return;
    }
    expect(r.kind).toBe('found');
    if (r.kind !== 'found') return;
    const h: ClientHelloInfo = r.hello;
    matched.push(stem);
    expect(h.sni).toBe(want.server_name);
    expect(h.extensionTypes).toEqual(want.extension_types);
    expect(h.supportedVersions.map(hex4)).toEqual(want.supported_versions);
    expect(hex4(h.legacyVersion)).toBe(want.legacy_version);
    if (want.ech_or_esni.some((e) => e.includes('0xffce'))) {
      // tshark also lists the KeyShareEntry inside the old ESNI extension (0xffce); the
      // key_share extension's own groups come first.
      expect(want.key_share_groups.slice(0, h.keyShareGroups.length)).toEqual(h.keyShareGroups.map(String));
    } else {
      expect(h.keyShareGroups.map(String)).toEqual(want.key_share_groups);
    }
    expect(h.ech).toBe(want.ech_or_esni.some((e) => e.includes('0xfe0d')));
    expect(h.esni).toBe(want.ech_or_esni.some((e) => e.includes('0xffce')));
    if (want.handshake_length !== null) expect(h.messageLength - 4).toBe(want.handshake_length);
    expect(h.anomalies).toEqual([]);

    // JA3 must agree exactly. JA4 agrees except in the version field, where the reference library
    // says "13" whenever supported_versions is present; the FoxIO spec (and its Rust reference)
    // take the highest listed value, so draft 0x7f17 or Facebook's 0xfb1a give "00".
    const message = handshakeBytes(dir.head, h.messageLength);
    const ref = await reference(message).catch(() => null);
    if (ref === null) {
      // The reference library cannot read a hello without an extensions block (legal before
      // TLS 1.3, RFC 5246 §7.4.1.2); check JA3 against the spec text instead.
      expect(h.extensionTypes).toEqual([]);
      expect(ja3(h).text).toBe(`${h.legacyVersion},${h.cipherSuites.join('-')},,,`);
      return;
    }
    expect(ja3(h).hash).toBe(ref.ja3);
    const mine = ja4(h, 'tcp');
    if (mine !== ref.ja4) {
      refDiffs.push(`${stem}: ${mine} vs ${ref.ja4}`);
      expect(mine.slice(4)).toBe(ref.ja4.slice(4)); // everything after the version matches
    }
  });

  afterAll(() => {
    if (refDiffs.length) console.log(`JA4 version-field differences vs read-tls-client-hello:\n${refDiffs.join('\n')}`);
  });

  test('the walker found most hellos (guards against a silently empty run)', () => {
    expect(cases.length).toBeGreaterThan(90);
    const found = cases.filter((c) => streamOf(c.stem, c.hello)).length;
    expect(found).toBeGreaterThanOrEqual(cases.length - 4);
  });
});
