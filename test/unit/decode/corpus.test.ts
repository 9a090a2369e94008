/**
 * Corpus check: decode every packet of every /work/shared corpus capture and compare the set of
 * TCP/UDP conversations (unordered address/port pairs, tunnel inner flows included) with the
 * tshark ground truth in corpus/expected/<stem>.json. Addresses are compared as addresses.
 * Exceptions are listed in KNOWN_DIFFERENCES with their reason; an exception that stops
 * happening fails the test too, so the list stays true.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AnomalyCounters } from '../../../src/anomalies';
import { openCapture } from '../../../src/capture/open-capture';
import { newFrame } from '../../../src/capture/source';
import { FrameDecoder } from '../../../src/decode/decode-frame';
import { DecodeStatus, InnerKind, IPPROTO_TCP, PacketView } from '../../../src/decode/packet-view';
import { describeShared, sharedPath, HAS_SHARED } from '../../helpers/shared';

/** Conversation keys ("tcp a|b" with sorted endpoints) that differ from tshark, per capture, with the reason. */
const KNOWN_DIFFERENCES: Record<string, { extra?: string[]; missing?: string[]; reason: string }> = {
  'ndpi__fuzz-2006-09-29-28586': {
    missing: ['tcp 4/170.170.170.170#43690|4/170.170.170.170#43690'],
    reason: 'frame 80 is fuzz: TCP Data Offset 40 in a 20-byte segment. tshark lists it ("short segment"); '
      + 'strict decoding (RFC 9293 §3.1, the bench counting rules) rejects it as tcp.bad_data_offset, so it is no flow.',
  },
};

/** Canonical text of an address given as IPv4 dotted quad or any IPv6 spelling. */
function canonicalAddress(text: string): string {
  if (!text.includes(':')) return `4/${text.split('.').map(Number).join('.')}`;
  let s = text.replace(/^\[|\]$/g, '').toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const w = v4.slice(1).map(Number);
    s = s.slice(0, v4.index) + `${((w[0] << 8) | w[1]).toString(16)}:${((w[2] << 8) | w[3]).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return `6/${groups.map((g) => parseInt(g, 16).toString(16)).join(':')}`;
}

function viewAddress(v: PacketView, src: boolean): string {
  const w = src ? [v.sa0, v.sa1, v.sa2, v.sa3] : [v.da0, v.da1, v.da2, v.da3];
  if (v.ipVersion === 4) return `4/${w[3] >>> 24}.${(w[3] >>> 16) & 255}.${(w[3] >>> 8) & 255}.${w[3] & 255}`;
  const groups: string[] = [];
  for (const x of w) groups.push((x >>> 16).toString(16), (x & 0xffff).toString(16));
  return `6/${groups.join(':')}`;
}

function conversationKey(proto: string, a: string, ap: number, b: string, bp: number): string {
  const x = `${a}#${ap}`;
  const y = `${b}#${bp}`;
  return `${proto} ${x < y ? `${x}|${y}` : `${y}|${x}`}`;
}

interface ExpectedConversation { proto: string; first_sender: { ip: string; port: number }; first_receiver: { ip: string; port: number } }

function expectedConversations(stem: string): Set<string> {
  const json = JSON.parse(fs.readFileSync(sharedPath('corpus', 'expected', `${stem}.json`), 'utf8')) as { conversations: ExpectedConversation[] };
  return new Set(json.conversations.map((c) => conversationKey(
    c.proto, canonicalAddress(c.first_sender.ip), c.first_sender.port, canonicalAddress(c.first_receiver.ip), c.first_receiver.port,
  )));
}

function decodedConversations(file: string): { keys: Set<string>; anomalies: Record<string, number> } {
  const anomalies = new AnomalyCounters();
  const decoder = new FrameDecoder(anomalies);
  const source = openCapture(file, anomalies);
  const frame = newFrame();
  const keys = new Set<string>();
  const v = decoder.view;
  const collect = (): void => {
    keys.add(conversationKey(v.ipProto === IPPROTO_TCP ? 'tcp' : 'udp', viewAddress(v, true), v.srcPort, viewAddress(v, false), v.dstPort));
  };
  try {
    while (source.next(frame)) {
      let status = decoder.decode(frame.buf, frame.offset, frame.capturedLength, frame.wireLength, frame.linkType, frame.tsMicros);
      if (status === DecodeStatus.Transport) collect();
      while (status === DecodeStatus.Transport && v.innerKind !== InnerKind.None) {
        status = decoder.decodeInner(frame.tsMicros);
        if (status === DecodeStatus.Transport) collect();
      }
    }
    decoder.finish();
  } finally {
    source.close();
  }
  return { keys, anomalies: anomalies.toRecord() };
}

const captures = HAS_SHARED
  ? fs.readdirSync(sharedPath('corpus')).filter((f) => /\.pcap(ng)?$/.test(f)).sort()
  : [];

describeShared('decode: corpus conversations match tshark', () => {
  test.each(captures)('%s', (file) => {
    const stem = file.replace(/\.pcap(ng)?$/, '');
    const expected = expectedConversations(stem);
    const { keys } = decodedConversations(path.join(sharedPath('corpus'), file));
    const extra = [...keys].filter((k) => !expected.has(k)).sort();
    const missing = [...expected].filter((k) => !keys.has(k)).sort();
    const known = KNOWN_DIFFERENCES[stem];
    expect({ extra, missing }).toEqual({ extra: known?.extra ?? [], missing: known?.missing ?? [] });
  });
});
