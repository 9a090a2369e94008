/**
 * Captures that exercise the per-flow stream head with a post-quantum (~1.8 KB) ClientHello:
 * SNI in the second segment, out-of-order/retransmitted/overlapping segments, a segment
 * boundary inside the 5-byte record header, and a capture gap that must leave the flow unnamed.
 *
 * Test tooling only: each builder throws if the bytes do not have the property the file name
 * promises (e.g. SNI really past the first segment), so a later edit cannot silently weaken it.
 */
import { LINKTYPE_ETHERNET } from '../../../src/capture/source';
import { serializePcap } from '../capture-file';
import type { FlowExpectation } from '../expectation';
import {
  CHROME_EXTENSION_ORDER, GREASE_B, TLS_EXT_SERVER_NAME, TLS_GROUP_X25519, TLS_GROUP_X25519MLKEM768,
  tlsClientHello,
} from '../packets';
import { CaptureBuilder, TcpScript, ms } from '../scenario';
import { BuiltCapture, CaptureDefinition, DEVICE_ARGS, DEVICE_V4, DEVICE_V6, T0, device, finishTlsSession, remote, summaryOf } from './common';

/** Chrome's order with server_name moved to just before the final GREASE extension (browsers shuffle extensions). */
const SNI_LATE_ORDER = [...CHROME_EXTENSION_ORDER.filter((t) => t !== TLS_EXT_SERVER_NAME && t !== GREASE_B), TLS_EXT_SERVER_NAME, GREASE_B];
/** The size Chrome 131's X25519MLKEM768 ClientHello reaches with ECH GREASE (we pad instead of adding ECH). */
const PQ_HELLO_LENGTH = 1810;

interface Arrangement {
  file: string;
  serverName: string;
  serverIp: string;
  clientPort: number;
  order: readonly number[];
  /** Sends the ClientHello in its special way; returns the time of the last piece. */
  sendHello(tcp: TcpScript, t: bigint, hello: Uint8Array, sni: { start: number; end: number }): bigint;
  /** Facts beyond key and counts. */
  facts: Omit<FlowExpectation, 'proto' | 'direction' | 'device_ip' | 'device_port' | 'remote_ip' | 'remote_port'>;
}

function buildTlsCapture(a: Arrangement): BuiltCapture {
  const b = new CaptureBuilder([{ kind: 'ethernet' }], [DEVICE_V4, DEVICE_V6]);
  const hello = tlsClientHello({
    seed: a.file, serverName: a.serverName, alpn: ['h2', 'http/1.1'],
    keyShareGroups: [TLS_GROUP_X25519MLKEM768, TLS_GROUP_X25519], extensionOrder: a.order, recordLength: PQ_HELLO_LENGTH,
  });
  const sni = hello.extensionOffsets.get(TLS_EXT_SERVER_NAME);
  if (!sni) throw new Error('no SNI extension');
  const tcp = new TcpScript(b, 0, device(a.clientPort), remote(a.serverIp, 443), { clientIsn: 0x1a2b3c4d, serverIsn: 0x5e6f7081, rttMs: 18 });
  const t = tcp.handshake(T0 + ms(1));
  const afterHello = a.sendHello(tcp, t + ms(0.3), hello.record, sni);
  tcp.ack('s2c', afterHello + ms(9));
  finishTlsSession(tcp, T0, afterHello + ms(9), a.file, [{ atMs: 400, request: 420, response: 3100 }]);
  const records = b.records();
  return {
    bytes: serializePcap(records, { linkType: LINKTYPE_ETHERNET }),
    records: records.length,
    expect: {
      file: a.file, args: DEVICE_ARGS, exit_code: 0,
      summary: summaryOf(records, { format: 'pcap', link_types: ['EN10MB'] }, 1, 0),
      flows: [tcp.expect({ app: 'tls', syn_seen: true, alpn: a.facts.sni ? ['h2', 'http/1.1'] : undefined, ...a.facts })],
      dns: [],
    },
  };
}

const NAMED = (name: string, why: string): Arrangement['facts'] => ({
  why, sni: name, name, name_source: 'sni', names_include: [{ name, source: 'sni' }], key_share_groups_include: [TLS_GROUP_X25519MLKEM768],
});

const SHARED_HOLDS = [
  'One TCP connection from the device 192.0.2.10 to a server on port 443 (Ethernet, classic pcap, microseconds): ' +
  'three-way handshake, a TLS 1.3-style ClientHello of 1810 bytes offering X25519MLKEM768 (0x11EC, 1216-byte key share) and X25519, ' +
  'GREASE cipher suites/extensions/groups/versions, ALPN h2 and http/1.1, a padding extension (RFC 7685) standing in for ECH GREASE; ' +
  'then the server flight (ServerHello, CCS, ~2.6 KB of stand-in encrypted records), the client Finished, one request/response and a FIN teardown.',
  'No DNS in the capture: the only way to name the flow is the SNI.',
];

const TSHARK_SNI_ARGS = ['-o', 'tcp.desegment_tcp_streams:TRUE', '-Y', 'tls.handshake.type == 1', '-T', 'fields', '-e', 'frame.number', '-e', 'tls.handshake.extensions_server_name', '-e', 'tls.handshake.extensions_key_share_group'];

/** SNI extension located entirely in the second of two segments. */
export const TLS_SPLIT_SNI_IN_SECOND_SEGMENT: CaptureDefinition = {
  file: 'tls-clienthello-split-sni-in-second-segment.pcap',
  title: 'Post-quantum ClientHello in two segments; the server_name extension is wholly in the second',
  holds: [
    ...SHARED_HOLDS,
    'The ClientHello is sent as two segments of 1460 and 350 bytes. Extensions are in Chrome order except that ' +
    'server_name was moved to the end (before the padding and final GREASE), so it starts past byte 1460 of the stream: ' +
    'a parser that only looks at the first segment sees a valid, incomplete ClientHello without SNI.',
  ],
  builder: 'TLS_SPLIT_SNI_IN_SECOND_SEGMENT in test/gen/captures/tls-reassembly.ts',
  tshark: [{ args: TSHARK_SNI_ARGS, output: '5\tupdates.example.com\t31354,4588,29\n' }],
  build: () => buildTlsCapture({
    file: 'tls-clienthello-split-sni-in-second-segment.pcap', serverName: 'updates.example.com', serverIp: '203.0.113.43', clientPort: 51514,
    order: SNI_LATE_ORDER,
    sendHello(tcp, t, hello, sni) {
      if (sni.start < tcp.mss) throw new Error(`SNI starts at ${sni.start}, inside the first segment`);
      return tcp.send('c2s', t, hello);
    },
    facts: NAMED('updates.example.com', 'SNI found only after joining segment 1 and 2'),
  }),
};

/** Out-of-order, retransmitted and overlapping segments carrying one ClientHello. */
export const TLS_OUT_OF_ORDER_RETRANSMIT: CaptureDefinition = {
  file: 'tls-clienthello-out-of-order-retransmit.pcap',
  title: 'ClientHello segments captured out of order, one retransmitted, one overlapping',
  holds: [
    ...SHARED_HOLDS,
    'The ClientHello (Chrome extension order, SNI near the start) is cut into byte ranges A = [0, sni-20), ' +
    'B = [sni-20, 900) and C = [700, 1810). The capture holds them in the order B, A, A (a retransmission 200 ms later, identical bytes), ' +
    'C (which overlaps the last 200 bytes of B with identical bytes). The SNI is in B, which arrives before A: the stream head must ' +
    'buffer by sequence number, drop the duplicate and trim the overlap.',
  ],
  builder: 'TLS_OUT_OF_ORDER_RETRANSMIT in test/gen/captures/tls-reassembly.ts',
  tshark: [{ args: ['-o', 'tcp.reassemble_out_of_order:TRUE', ...TSHARK_SNI_ARGS], output: '7\treorder.example.net\t31354,4588,29\n' }],
  build: () => buildTlsCapture({
    file: 'tls-clienthello-out-of-order-retransmit.pcap', serverName: 'reorder.example.net', serverIp: '203.0.113.44', clientPort: 51620,
    order: CHROME_EXTENSION_ORDER,
    sendHello(tcp, t, hello, sni) {
      const a = sni.start - 20;
      if (a <= 0 || sni.end > 900) throw new Error('SNI is not inside range B');
      // B first, then A, A again 200 ms later (retransmission), then C overlapping B's tail.
      return tcp.sendPieces('c2s', t, hello, [[a, 900], [0, a], [0, a, 200], [700, hello.length]], 0.05);
    },
    facts: NAMED('reorder.example.net', 'SNI is in the segment that was captured first, before the segment holding the record header'),
  }),
};

/** The first segment ends after 3 of the 5 record-header bytes. */
export const TLS_CUT_IN_RECORD_HEADER: CaptureDefinition = {
  file: 'tls-clienthello-cut-in-record-header.pcap',
  title: 'ClientHello whose first segment ends inside the 5-byte TLS record header',
  holds: [
    ...SHARED_HOLDS,
    'The ClientHello is sent as segments of 3, 1460 and 347 bytes: the first holds only content type and legacy record version ' +
    '(16 03 01), so the record length is split across segments. The SNI (Chrome order, near the start) is in the second segment.',
  ],
  builder: 'TLS_CUT_IN_RECORD_HEADER in test/gen/captures/tls-reassembly.ts',
  tshark: [{ args: TSHARK_SNI_ARGS, output: '6\theader-cut.example.org\t31354,4588,29\n' }],
  build: () => buildTlsCapture({
    file: 'tls-clienthello-cut-in-record-header.pcap', serverName: 'header-cut.example.org', serverIp: '203.0.113.45', clientPort: 51733,
    order: CHROME_EXTENSION_ORDER,
    sendHello: (tcp, t, hello) => tcp.sendPieces('c2s', t, hello, [[0, 3], [3, 1463], [1463, hello.length]], 0.1),
    facts: NAMED('header-cut.example.org', 'record header completed only by the second segment'),
  }),
};

/** A segment of the ClientHello is missing from the capture (the server ACKs it: capture loss). */
export const TLS_STREAM_GAP: CaptureDefinition = {
  file: 'tls-clienthello-stream-gap.pcap',
  title: 'ClientHello with a segment missing from the capture: no name, reason stream-gap',
  holds: [
    ...SHARED_HOLDS,
    'The ClientHello (server_name moved late, as in the split capture) is sent as three segments; the middle one, ' +
    '[sni-100, sni+100) of the record, is absent from the capture although the server ACKs every byte (capture loss, not network loss). ' +
    'The SNI (gap.example.com) lies inside the missing bytes, so no tool can know it: the flow must be unnamed with ' +
    '`unnamed_reason: "stream-gap"`, and must not be named from bytes after the hole. tshark, too, finds no ClientHello (first check below prints nothing) and flags the lost segment.',
  ],
  builder: 'TLS_STREAM_GAP in test/gen/captures/tls-reassembly.ts',
  tshark: [
    { args: TSHARK_SNI_ARGS, output: '' },
    { args: ['-Y', 'tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment', '-T', 'fields', '-e', 'frame.number', '-e', 'tcp.srcport', '-e', 'tcp.seq'], output: '5\t51842\t1628\n6\t443\t1\n' },
  ],
  build: () => buildTlsCapture({
    file: 'tls-clienthello-stream-gap.pcap', serverName: 'gap.example.com', serverIp: '203.0.113.46', clientPort: 51842,
    order: SNI_LATE_ORDER,
    sendHello(tcp, t, hello, sni) {
      const holeStart = sni.start - 100;
      const holeEnd = sni.end + 100;
      if (holeStart > tcp.mss || hello.length - holeEnd > tcp.mss) throw new Error('pieces exceed the MSS');
      return tcp.sendPieces('c2s', t, hello, [[0, holeStart], [holeEnd, hello.length]], 0.2);
    },
    facts: { why: 'SNI bytes never captured (app not asserted: the hello never completes)', app: undefined, sni: null, name: null, name_source: null, unnamed_reason: 'stream-gap' },
  }),
};
