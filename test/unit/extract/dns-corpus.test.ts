/**
 * Cross-check of the DNS parser against tshark's view of the shared corpus
 * (../shared/corpus/expected/*.json → dns.messages[]): for every DNS message tshark saw, the
 * same frame's UDP payload (or the TCP stream's length-prefixed messages completed in that
 * frame) is parsed here and the header, questions and answer records are compared.
 *
 * Frames are read with the project's openCapture and FrameDecoder (pcap and pcapng, IP
 * reassembly, tunnels); the only test-local part is an in-order TCP buffer for DNS over TCP.
 * Every difference from tshark is listed with its reason and printed at the end.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AnomalyCounters } from '../../../src/anomalies';
import { openCapture } from '../../../src/capture/open-capture';
import { newFrame } from '../../../src/capture/source';
import { FrameDecoder } from '../../../src/decode/decode-frame';
import { DecodeStatus, InnerKind, IPPROTO_TCP, IPPROTO_UDP, TCP_SYN } from '../../../src/decode/packet-view';
import { DnsMessage, DnsMessageStore, DnsNameReader, parseDnsMessage, splitDnsTcpStream } from '../../../src/extract/dns';
import { describeShared, sharedPath } from '../../helpers/shared';

interface ExpRecord { section: string; name: string | null; type: string; type_code: number; ttl: number | null; addr?: string; target?: string; text?: string | string[] }
interface ExpMessage {
  frame: number; transport: string; id: string; response: boolean; opcode: number; rcode?: number;
  queries: Array<{ qname: string; qtype_code: number }>; records?: ExpRecord[];
}

/** One DNS payload found by the walker: the frame it completed in and its bytes. */
interface Payload { frame: number; data: Uint8Array }

/**
 * DNS payloads of a capture, through the product's reader and decoder (openCapture →
 * FrameDecoder, with IP reassembly and tunnels): UDP on 53/5353/5355 as is; TCP on 53 through an
 * in-order-only per-direction buffer and splitDnsTcpStream (enough for the corpus captures).
 */
function dnsPayloads(file: string): Payload[] {
  const src = openCapture(file);
  const frame = newFrame();
  const decoder = new FrameDecoder(new AnomalyCounters());
  const view = decoder.view;
  const payloads: Payload[] = [];
  const streams = new Map<string, { next: number; buf: Buffer }>();
  const dnsPort = (x: number) => x === 53 || x === 5353 || x === 5355;
  try {
    for (let n = 1; src.next(frame); n++) {
      let status = decoder.decode(frame.buf, frame.offset, frame.capturedLength, frame.wireLength, frame.linkType, frame.tsMicros);
      for (let depth = 0; depth < 8; depth++) {
        if (status === DecodeStatus.Transport) take(n);
        if (view.innerKind === InnerKind.None) break;
        status = decoder.decodeInner(frame.tsMicros);
      }
    }
  } finally {
    src.close();
  }
  return payloads;

  function take(frameNo: number): void {
    const data = view.buf.subarray(view.payloadOffset, view.payloadOffset + view.payloadLength);
    if (view.ipProto === IPPROTO_UDP && (dnsPort(view.srcPort) || dnsPort(view.dstPort))) payloads.push({ frame: frameNo, data: Uint8Array.from(data) });
    if (view.ipProto !== IPPROTO_TCP || (view.srcPort !== 53 && view.dstPort !== 53)) return;
    const key = [view.sa0, view.sa1, view.sa2, view.sa3, view.srcPort, view.da0, view.da1, view.da2, view.da3, view.dstPort].join(',');
    const seq = view.tcpSeq;
    if (view.tcpFlags & TCP_SYN) { streams.set(key, { next: (seq + 1) >>> 0, buf: Buffer.alloc(0) }); return; }
    if (data.length === 0) return;
    let s = streams.get(key);
    if (s !== undefined && seq !== s.next && ((s.next - seq) >>> 0) < 0x80000000) return; // retransmission
    if (s === undefined || seq !== s.next) { s = { next: seq, buf: Buffer.alloc(0) }; streams.set(key, s); } // no SYN seen, or a gap
    s.buf = Buffer.concat([s.buf, data]);
    s.next = (seq + data.length) >>> 0;
    const r = splitDnsTcpStream(s.buf, 0, s.buf.length);
    for (const [o, l] of r.messages) payloads.push({ frame: frameNo, data: Uint8Array.from(s.buf.subarray(o, o + l)) });
    s.buf = Buffer.from(s.buf.subarray(r.consumed));
  }
}

/** IPv6/IPv4 text → canonical bytes (so tshark's and our spellings compare as addresses). */
function addrKey(a: string): string {
  if (!a.includes(':')) return a;
  let s = a.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (dotted) s = s.slice(0, dotted.index) + ((+dotted[1] << 8) | +dotted[2]).toString(16) + ':' + ((+dotted[3] << 8) | +dotted[4]).toString(16);
  const [head, tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => parseInt(g, 16).toString(16)).join(':');
}

/** tshark's rendering of a name → ours: tshark keeps case and writes the root as <Root>. */
function tsharkName(n: string): string {
  return n === '<Root>' ? '.' : n.toLowerCase();
}

/** tshark placeholders for names it could not read: our parser counts an anomaly and stops that section there. */
const TSHARK_BAD_NAMES = new Set(['<Name contains a pointer that loops>', '<Name too long>']);

function quoteTxt(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function compareMessage(exp: ExpMessage, got: DnsMessage, where: string, exceptions: string[]): void {
  expect({ where, id: got.id, response: got.response, opcode: got.opcode }).toEqual({ where, id: parseInt(exp.id, 16), response: exp.response, opcode: exp.opcode });
  if (exp.rcode !== undefined) expect({ where, rcode: got.rcode }).toEqual({ where, rcode: exp.rcode });
  // A question tshark shows with a placeholder name is left out by our parser (anomaly counted, rest kept).
  const wantQ = exp.queries.filter((q) => !TSHARK_BAD_NAMES.has(q.qname)).map((q) => ({ name: tsharkName(q.qname), type: q.qtype_code }));
  for (const q of exp.queries) if (TSHARK_BAD_NAMES.has(q.qname)) exceptions.push(`${where}: tshark question "${q.qname}" → left out, anomaly counted, rest of the message read`);
  expect({ where, q: got.questions.map((q) => ({ name: q.name, type: q.type })) }).toEqual({ where, q: wantQ });
  if (wantQ.length !== exp.queries.length) expect(got.complete).toBe(false);
  const answers = (exp.records ?? []).filter((r) => r.section === 'answer');
  if (!exp.response) {
    // Answers are read for responses only (by contract). Queries carry answer records only as mDNS
    // Known-Answer lists (RFC 6762 §7.1): the asker's cache, not new facts.
    if (answers.length > 0) exceptions.push(`${where}: query with ${answers.length} known answer(s) (RFC 6762 §7.1), not read by design`);
    expect({ where, answers: got.answers }).toEqual({ where, answers: [] });
    return;
  }
  // Records whose owner tshark could not read are stepped over by our parser.
  const wantA = answers.filter((r) => !TSHARK_BAD_NAMES.has(r.name ?? ''));
  expect({ where, n: got.answers.length }).toEqual({ where, n: wantA.length });
  wantA.forEach((r, i) => {
    const a = got.answers[i];
    const at = `${where} answer ${i}`;
    if (a === undefined) throw new Error(`${at}: missing`);
    // tshark splits SRV owner names into service/proto/name fields and leaves `name` null for mDNS SRV records.
    const wantName = r.name === null ? a.name : tsharkName(r.name);
    expect({ at, name: a.name, type: a.type, ttl: a.ttl }).toEqual({ at, name: wantName, type: r.type_code, ttl: r.ttl ?? a.ttl });
    if (r.addr !== undefined) expect({ at, addr: addrKey(a.data) }).toEqual({ at, addr: addrKey(r.addr) });
    if (r.target !== undefined && TSHARK_BAD_NAMES.has(r.target)) {
      exceptions.push(`${at}: tshark target "${r.target}" → our data is the RFC 3597 generic form, anomaly counted`);
      expect({ at, data: a.data.startsWith('\\# ') }).toEqual({ at, data: true });
    } else if (r.target !== undefined) {
      const fields = a.data.split(' ');
      const target = a.type === 15 || a.type === 33 ? fields[fields.length - 1] : a.type === 64 || a.type === 65 ? fields[1] : a.data;
      expect({ at, target }).toEqual({ at, target: tsharkName(r.target) });
    }
    if (r.type_code === 16 && r.text !== undefined) {
      const texts = Array.isArray(r.text) ? r.text : [r.text];
      expect({ at, text: a.data }).toEqual({ at, text: texts.map(quoteTxt).join(' ') });
    }
  });
}

describeShared('DNS parser vs tshark (shared corpus)', () => {
  const dir = sharedPath('corpus', 'expected');
  const stems = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  const withDns = stems
    .map((stem) => ({ stem, exp: JSON.parse(fs.readFileSync(path.join(dir, `${stem}.json`), 'utf8')) as { dns?: { messages?: ExpMessage[] } } }))
    .filter((x) => (x.exp.dns?.messages?.length ?? 0) > 0);
  const exceptions: string[] = [];
  let compared = 0;

  test('the corpus has DNS messages to compare', () => expect(withDns.length).toBeGreaterThanOrEqual(10));

  test.each(withDns.map((x) => [x.stem, x.exp] as const))('%s', (stem, exp) => {
    const capture = fs.readdirSync(sharedPath('corpus')).find((f) => f === `${stem}.pcap` || f === `${stem}.pcapng`)!;
    const payloads = dnsPayloads(sharedPath('corpus', capture));
    const byFrame = new Map<number, Uint8Array[]>();
    for (const p of payloads) byFrame.set(p.frame, [...(byFrame.get(p.frame) ?? []), p.data]);
    const seenPerFrame = new Map<number, number>();
    const names = new DnsNameReader();
    // The pipeline's way: one store reused for every message must give what a fresh parse gives.
    const store = new DnsMessageStore();
    for (const m of exp.dns!.messages!) {
      const k = seenPerFrame.get(m.frame) ?? 0;
      seenPerFrame.set(m.frame, k + 1);
      const where = `${capture} frame ${m.frame}${k > 0 ? ` message ${k + 1}` : ''}`;
      const data = byFrame.get(m.frame)?.[k];
      if (data === undefined) throw new Error(`${where}: no DNS payload found in this frame`);
      const got = parseDnsMessage(data, 0, data.length, new AnomalyCounters(), true, names);
      if (got === null) throw new Error(`${where}: parser returned null`);
      const freshAnomalies = new AnomalyCounters();
      parseDnsMessage(data, 0, data.length, freshAnomalies, true, names);
      const storeAnomalies = new AnomalyCounters();
      const again = parseDnsMessage(data, 0, data.length, storeAnomalies, true, names, store);
      if (JSON.stringify(again) !== JSON.stringify(got) || JSON.stringify(storeAnomalies.toRecord()) !== JSON.stringify(freshAnomalies.toRecord())) {
        throw new Error(`${where}: parsing into a reused store differs from a fresh parse`);
      }
      compareMessage(m, got, where, exceptions);
      compared++;
    }
  });

  afterAll(() => {
    // Printed so a reviewer sees exactly what was not compared and why.
    process.stdout.write(`DNS corpus cross-check: ${compared} messages compared; exceptions:\n  ${exceptions.join('\n  ')}\n`);
  });
});
