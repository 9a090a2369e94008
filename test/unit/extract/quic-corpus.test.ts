/**
 * Corpus check for the QUIC and gQUIC extractors against tshark's ground truth
 * (../shared/corpus/expected/<stem>.json → quic.client_hellos, gquic.chlos).
 *
 * For every ClientHello tshark decrypted, the client UDP payloads of its `client_initial_frames`
 * are fed, in order, to a fresh QuicInitialDecoder. Checked: the reassembled CRYPTO prefix is a
 * ClientHello (type 1) of tshark's `handshake_length`; and, once the real TLS parser has landed
 * in src/extract/tls-client-hello.ts, the SNI equals tshark's `server_name`.
 */
import * as fs from 'fs';
import { parseGquicPacket } from '../../../src/extract/gquic';
import {
  decryptInitialPacket,
  deriveClientInitialKeys,
  parseInitialFrames,
  parseQuicLongHeader,
  QuicInitialDecoder,
  QuicResult,
} from '../../../src/extract/quic-initial';
import { parseClientHelloMessage } from '../../../src/extract/tls-client-hello';
import { describeShared, sharedPath } from '../../helpers/shared';
import { udpDatagrams, UdpDatagram } from './helpers/quic-frames';
import * as V from './helpers/quic-vectors';

const REAL_TLS_PARSER = parseClientHelloMessage(V.VECTOR_CRYPTO_FRAME, 4, 241).kind === 'found';

interface ExpectedHello {
  frame: number;
  version: string;
  dcid: string;
  server_name: string | null;
  handshake_length: number;
  client_initial_frames: number[];
  sport: number;
  dport: number;
}
interface ExpectedChlo {
  frame: number;
  version: string;
  server_name: string | null;
  sport: number;
}

function loadCases(): { stem: string; capture: string; hellos: ExpectedHello[]; chlos: ExpectedChlo[] }[] {
  const dir = sharedPath('corpus', 'expected');
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const f of fs.readdirSync(dir).sort()) {
    if (!f.endsWith('.json')) continue;
    const stem = f.slice(0, -5);
    const j = JSON.parse(fs.readFileSync(`${dir}/${f}`, 'utf8'));
    const hellos: ExpectedHello[] = j.quic?.client_hellos ?? [];
    const chlos: ExpectedChlo[] = j.gquic?.chlos ?? [];
    if (hellos.length === 0 && chlos.length === 0) continue;
    const capture = ['pcap', 'pcapng'].map((e) => sharedPath('corpus', `${stem}.${e}`)).find((p) => fs.existsSync(p));
    if (capture !== undefined) out.push({ stem, capture, hellos, chlos });
  }
  return out;
}

describeShared('QUIC Initial decryption against the corpus (tshark ground truth)', () => {
  const cases = loadCases();
  test('the corpus lists QUIC ClientHellos and gQUIC CHLOs', () => {
    expect(cases.reduce((n, c) => n + c.hellos.length, 0)).toBeGreaterThanOrEqual(14);
    expect(cases.reduce((n, c) => n + c.chlos.length, 0)).toBeGreaterThanOrEqual(2);
  });

  const helloCases = cases.flatMap((c) => c.hellos.map((h) => ({ ...c, h, label: `${c.stem} frame ${h.frame} (${h.version}, ${h.server_name ?? 'no SNI'})` })));
  test.each(helloCases)('$label', ({ capture, h }) => {
    const dgrams = udpDatagrams(capture);
    const d = new QuicInitialDecoder();
    let result: QuicResult = { kind: 'not-quic' };
    let settledAt = -1;
    for (const n of h.client_initial_frames) {
      const u = dgrams.get(n) as UdpDatagram;
      expect(u).toBeDefined();
      expect(u.sport).toBe(h.sport);
      result = d.feed(u.payload, 0, u.payload.length);
      if (result.kind === 'found' || (result.kind === 'failed' && result.terminal)) {
        settledAt = n;
        break;
      }
    }
    const ch = d.clientHelloBytes();
    expect(ch).not.toBeNull();
    expect(ch![0]).toBe(1);
    // tshark reports the last ClientHello of the listed frames; the flow is named by its first.
    // They differ only after a HelloRetryRequest (ndpi__quic-29 frame 5, checked below).
    if (settledAt === h.frame) expect((ch![1] << 16) | (ch![2] << 8) | ch![3]).toBe(h.handshake_length);
    expect(result.kind === 'found' || result.kind === 'failed').toBe(true);
    if (result.kind === 'found' || result.kind === 'failed') expect(result.version).toBe(parseInt(h.version, 16));
    if (REAL_TLS_PARSER) {
      expect(result.kind).toBe('found');
      if (result.kind === 'found') expect(result.hello.sni).toBe(h.server_name);
    }
  });

  test('ndpi__quic-29: the second ClientHello (after Retry and HelloRetryRequest) is where tshark says', () => {
    // Frame 1: Initial to DCID f36e…; frame 2: Retry; frame 3: Initial to the Retry's CID 2e9a…
    // (new keys, CRYPTO restarts at 0); frame 4: server Initial with HelloRetryRequest; frame 5:
    // Initial sent to the server's CID b8e8… but still under 2e9a…'s keys (RFC 9001 §5.2),
    // carrying ClientHello #2 at CRYPTO offset 301 — tshark's hello of 264 bytes.
    const dgrams = udpDatagrams(sharedPath('corpus', 'ndpi__quic-29.pcap'));
    const p5 = (dgrams.get(5) as UdpDatagram).payload;
    const h = parseQuicLongHeader(p5, 0, p5.length);
    if (h.kind !== 'ok') throw new Error(h.kind);
    expect(Buffer.from(p5.subarray(h.header.dcidOff, h.header.dcidOff + h.header.dcidLen)).toString('hex')).toBe('b8e844a59dba1b56a9c136266fcc82bda97f');
    const keys = deriveClientInitialKeys(h.header.info!, Buffer.from('2e9a32ed45c9066ad4f9ac32c1d23c19e480', 'hex'));
    const r = decryptInitialPacket(p5, h.header, keys, 1);
    if (r.kind !== 'ok') throw new Error(r.kind);
    const f = parseInitialFrames(r.payload, 0, r.payload.length);
    expect(f.ack).toBe(1);
    expect(f.crypto.map((c) => c.streamOffset)).toEqual([301]);
    const m = r.payload.subarray(f.crypto[0].dataOff, f.crypto[0].dataOff + f.crypto[0].dataLen);
    expect(m[0]).toBe(1);
    expect((m[1] << 16) | (m[2] << 8) | m[3]).toBe(264);
    if (REAL_TLS_PARSER) expect(parseClientHelloMessage(m, 0, m.length)).toMatchObject({ kind: 'found', hello: { sni: 'localhost' } });
    // The per-flow decoder, fed frames 1, 3, 5, settles on the first hello and keeps it.
    const d = new QuicInitialDecoder();
    for (const n of [1, 3, 5]) d.feed((dgrams.get(n) as UdpDatagram).payload, 0, (dgrams.get(n) as UdpDatagram).payload.length);
    expect(d.clientHelloBytes()!.length).toBe(4 + 297);
  });

  const chloCases = cases.flatMap((c) => c.chlos.map((g) => ({ ...c, g, label: `${c.stem} frame ${g.frame} (${g.version})` })));
  test.each(chloCases)('gQUIC $label', ({ capture, g }) => {
    const u = udpDatagrams(capture).get(g.frame) as UdpDatagram;
    expect(u).toBeDefined();
    const direct = parseGquicPacket(u.payload, 0, u.payload.length);
    expect(direct.kind).toBe('found');
    if (direct.kind === 'found') {
      expect(direct.chlo.version).toBe(g.version);
      expect(direct.chlo.sni).toBe(g.server_name);
      expect(direct.chlo.uaid).not.toBeNull();
    }
    // The same through the per-flow front door.
    const r = new QuicInitialDecoder().feed(u.payload, 0, u.payload.length);
    expect(r).toMatchObject({ kind: 'gquic', chlo: { sni: g.server_name } });
  });

  test('every client Initial tshark decrypted, we decrypt too', () => {
    const misses: string[] = [];
    for (const c of cases) {
      const j = JSON.parse(fs.readFileSync(sharedPath('corpus', 'expected', `${c.stem}.json`), 'utf8'));
      const dgrams = udpDatagrams(c.capture);
      const clientPorts = new Set(c.hellos.map((h) => h.sport));
      // One decoder per client 5-tuple, fed every client datagram in order.
      const flows = new Map<string, QuicInitialDecoder>();
      const initialFrames = new Set<number>((j.quic?.initial_packets ?? []).filter((p: { decrypted: boolean; sport: number }) => p.decrypted && clientPorts.has(p.sport)).map((p: { frame: number }) => p.frame));
      for (const [n, u] of [...dgrams.entries()].sort((a, b) => a[0] - b[0])) {
        if (!clientPorts.has(u.sport)) continue;
        const key = `${u.src}|${u.sport}|${u.dst}|${u.dport}`;
        let d = flows.get(key);
        if (d === undefined) flows.set(key, (d = new QuicInitialDecoder()));
        const before = d.initialsDecrypted;
        const r = d.feed(u.payload, 0, u.payload.length);
        if (initialFrames.has(n) && d.initialsDecrypted === before && r.kind !== 'found' && !(r.kind === 'failed' && r.terminal)) misses.push(`${c.stem}#${n}:${r.kind}`);
      }
    }
    expect(misses).toEqual([]);
  });

  test('sweep: every UDP flow of every capture, client side — no false names, no exceptions', () => {
    const dir = sharedPath('corpus');
    const found: string[] = [];
    const unexpected: string[] = [];
    for (const f of fs.readdirSync(dir).filter((x) => /\.pcap(ng)?$/.test(x)).sort()) {
      const stem = f.replace(/\.pcap(ng)?$/, '');
      const jpath = sharedPath('corpus', 'expected', `${stem}.json`);
      if (!fs.existsSync(jpath)) continue;
      const j = JSON.parse(fs.readFileSync(jpath, 'utf8'));
      const names = new Set<string | null>([...(j.quic?.client_hellos ?? []), ...(j.gquic?.chlos ?? [])].map((h: { server_name: string | null }) => h.server_name));
      let dgrams: Map<number, UdpDatagram>;
      try {
        dgrams = udpDatagrams(sharedPath('corpus', f));
      } catch {
        continue; // empty or unreadable capture: the capture tests cover those
      }
      const clientOf = new Map<string, string>();
      const flows = new Map<string, QuicInitialDecoder>();
      const named = new Set<string>();
      for (const u of dgrams.values()) {
        const a = `${u.src}|${u.sport}`;
        const b = `${u.dst}|${u.dport}`;
        const conv = a < b ? `${a}-${b}` : `${b}-${a}`;
        if (!clientOf.has(conv)) clientOf.set(conv, a);
        if (clientOf.get(conv) !== a) continue; // server → client: not fed
        let d = flows.get(conv);
        if (d === undefined) flows.set(conv, (d = new QuicInitialDecoder()));
        const r = d.feed(u.payload, 0, u.payload.length);
        const sni = r.kind === 'found' ? r.hello.sni : r.kind === 'gquic' ? r.chlo.sni : undefined;
        if (sni !== undefined && !named.has(conv)) {
          named.add(conv);
          found.push(`${stem}#${u.frame}: ${sni}`);
          if (!names.has(sni)) unexpected.push(`${stem}#${u.frame}: ${sni}`);
        }
      }
    }
    if (process.env.QUIC_SWEEP_VERBOSE) console.log(found.join('\n'));
    expect(unexpected).toEqual([]);
    // 13 QUIC flows (ndpi__quic-29's two hellos share one flow) + 2 gQUIC CHLOs.
    expect(found.length).toBe(15);
  });
});
