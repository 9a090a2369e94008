/**
 * TLS fingerprints against the originating projects' own expected output in
 * ../shared/corpus/baselines: every JA3 that nDPI's result files print (`[JA3C: …]`, TLS and
 * QUIC) and every JA4 that huginn-net's snapshots print (`tls.ja4.full`) must be the flow's
 * `ja3` / `ja4`. nDPI's JA4 is compared on its cipher hash only (the `_b` part): its other
 * parts depart from the FoxIO specification this project follows, each in a known way, listed
 * in NDPI_JA4_DEPARTURES and checked to be the only differences.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describeShared, sharedPath, HAS_SHARED } from '../helpers/shared';
import { replay, Replayed } from '../helpers/run-pipeline';
import { parseAddr, formatAddr } from '../../src/net/addr';

function canon(ip: string): string {
  const a = parseAddr(ip.replace(/^\[|\]$/g, ''));
  return a ? formatAddr(a.v, a.w[0], a.w[1], a.w[2], a.w[3]) : ip;
}

function key(proto: string, a: string, ap: number, b: string, bp: number): string {
  const x = `${canon(a)}|${ap}`;
  const y = `${canon(b)}|${bp}`;
  return `${proto} ${x < y ? `${x} ${y}` : `${y} ${x}`}`;
}

interface Print { key: string; ja3?: string; ja4?: string }

/** The flows of an nDPI result file (`ndpiReader -v` style lines) that carry a JA3C or JA4. */
function ndpiPrints(file: string): Print[] {
  const out: Print[] = [];
  for (const line of fs.readFileSync(file, 'latin1').split('\n')) {
    const m = /\s(TCP|UDP) (\[[0-9a-fA-F:.]+\]|[\d.]+):(\d+) <-> (\[[0-9a-fA-F:.]+\]|[\d.]+):(\d+) /.exec(line);
    if (!m) continue;
    const ja3 = /\[JA3C: ([0-9a-f]{32})\]/.exec(line)?.[1];
    const ja4 = /\[JA4: ([a-z0-9_]+)\]/.exec(line)?.[1];
    if (ja3 === undefined && ja4 === undefined) continue;
    out.push({ key: key(m[1].toLowerCase(), m[2], Number(m[3]), m[4], Number(m[5])), ja3, ja4 });
  }
  return out;
}

/** The connections of a huginn-net snapshot that carry a JA4. */
function huginnPrints(file: string): Print[] {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as { connections: { source: { ip: string; port: number }; destination: { ip: string; port: number }; tls?: { ja4?: { full?: string } } }[] };
  return snap.connections
    .filter((c) => c.tls?.ja4?.full !== undefined)
    .map((c) => ({ key: key('tcp', c.source.ip, c.source.port, c.destination.ip, c.destination.port), ja4: c.tls!.ja4!.full }));
}

/**
 * Where nDPI's JA4 (in the result files of the corpus's nDPI snapshot) departs from the FoxIO
 * specification, each shown by a capture here, and why ours is the spec's:
 * - ALPN characters: nDPI writes the first two characters of the first ALPN value ("ht" for
 *   http/1.1, "do" for doq-i00); the spec takes its first and last ("h1", "d0"). nDPI also wrote
 *   "h0" for a hello whose only ALPN is "h2" (ndpi__android).
 * - SNI flag: nDPI writes "d" for hellos that carry no server_name extension (tshark agrees
 *   there is none: ndpi__KakaoTalk_chat, ndpi__dns_dot); the spec says "i".
 * - An empty extension list: nDPI hashes the empty string (e3b0c44298fc); the spec writes
 *   000000000000.
 * So the JA4_a part (and an empty JA4_c) is not compared with nDPI; the cipher hash always is.
 */
const NDPI_JA4_DEPARTURES = 'JA4_a ALPN characters and SNI flag; the empty-list hash';

function byKey(r: Replayed): Map<string, Replayed['flows'][number]> {
  const m = new Map<string, Replayed['flows'][number]>();
  for (const f of r.flows) {
    const k = key(f.proto, f.device_ip, f.device_port, f.remote_ip, f.remote_port);
    if (!m.has(k)) m.set(k, f);
  }
  return m;
}

const baselineDir = HAS_SHARED ? sharedPath('corpus', 'baselines') : '';

/** Each corpus capture's fingerprints from nDPI's and huginn-net's baselines (captures whose baselines print none are left out). */
const cases: { stem: string; ndpi: Print[]; huginn: Print[] }[] = HAS_SHARED
  ? fs.readdirSync(baselineDir).sort().map((stem) => {
    const files = (sub: string, ext: RegExp): string[] => {
      const d = path.join(baselineDir, stem, sub);
      return fs.existsSync(d) ? fs.readdirSync(d).filter((f) => ext.test(f)).map((f) => path.join(d, f)) : [];
    };
    return { stem, ndpi: files('ndpi', /\.out$/).flatMap(ndpiPrints), huginn: files('huginn-net', /\.json$/).flatMap(huginnPrints) };
  }).filter((c) => c.ndpi.length + c.huginn.length > 0)
  : [];

function captureOf(stem: string): string {
  const f = fs.readdirSync(sharedPath('corpus')).find((x) => x === `${stem}.pcap` || x === `${stem}.pcapng`);
  if (!f) throw new Error(`no capture for baseline ${stem}`);
  return sharedPath('corpus', f);
}

describeShared('TLS fingerprints equal the originating projects\' baselines', () => {
  const checked = { ja3: 0, ja4: 0, ja4Cipher: 0 };

  test('baselines with fingerprints are present', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  test.each(cases)('$stem: nDPI\'s JA3C and JA4 cipher hash, huginn-net\'s JA4', ({ stem, ndpi, huginn }) => {
    const flows = byKey(replay([captureOf(stem)]));
    const wrong: string[] = [];
    for (const p of ndpi) {
      const f = flows.get(p.key);
      if (!f) { wrong.push(`${p.key}: no flow`); continue; }
      if (p.ja3 !== undefined) {
        checked.ja3++;
        if (f.ja3 !== p.ja3) wrong.push(`${p.key}: ja3 ${f.ja3} (nDPI ${p.ja3})`);
      }
      if (p.ja4 !== undefined) {
        checked.ja4Cipher++;
        if (f.ja4?.split('_')[1] !== p.ja4.split('_')[1]) wrong.push(`${p.key}: ja4 ${f.ja4} (nDPI ${p.ja4}; ${NDPI_JA4_DEPARTURES} aside)`);
      }
    }
    for (const p of huginn) {
      checked.ja4++;
      const f = flows.get(p.key);
      if (f?.ja4 !== p.ja4) wrong.push(`${p.key}: ja4 ${f?.ja4} (huginn-net ${p.ja4})`);
    }
    expect(wrong).toEqual([]);
  });

  afterAll(() => {
    // Something was compared: a baseline format change that matched nothing would show here.
    if (cases.length > 0) expect(checked.ja3 + checked.ja4 + checked.ja4Cipher).toBeGreaterThan(0);
  });
});
