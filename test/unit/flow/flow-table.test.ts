/**
 * FlowTable: canonical 5-tuple lookup, initiator decision, TCP close and port reuse, idle
 * timeouts on packet time, LRU eviction at the cap, and growth/rehash under churn (checked
 * against a naive Map-based model).
 */
import {
  DEFAULT_TIMEOUTS, F_BY_FIRST, F_BY_PORT, F_EVICTED, F_INIT_B, F_SYN, FlowTable, FlowTimeouts, TimeoutClass,
  isLikelyServerPort,
} from '../../../src/flow/flow-table';
import { PacketView } from '../../../src/decode/packet-view';
import { formatAddr } from '../../../src/net/addr';
import { T0, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, ViewSpec, fillView } from '../../helpers/packets';

/** What the end handler saw for one flow (read while the slot is still valid). */
interface Ended { id: number; flags: number; pktsA: number; pktsB: number; client: string; clientPort: number }

function newTable(maxFlows?: number, timeouts?: FlowTimeouts): { t: FlowTable; ended: Ended[]; send: (s: ViewSpec, ts: number, len?: number, depth?: number) => number } {
  const ended: Ended[] = [];
  const v = new PacketView();
  const t: FlowTable = new FlowTable((slot) => {
    const initB = (t.flagsOf(slot) & F_INIT_B) !== 0;
    ended.push({
      id: t.idOf(slot), flags: t.flagsOf(slot), pktsA: t.packetsOf(slot, false), pktsB: t.packetsOf(slot, true),
      client: addrOf(t, slot, initB), clientPort: t.port(slot, initB),
    });
  }, maxFlows, timeouts);
  const send = (s: ViewSpec, ts: number, len = 60, depth = 0): number => {
    t.track(fillView(s, v), len, depth, ts);
    return t.idOf(t.slot);
  };
  return { t, ended, send };
}

/** Address text of endpoint A or B of the flow in `slot`. */
function addrOf(t: FlowTable, slot: number, b: boolean): string {
  const K = t.keys;
  const o = t.addrOffset(slot, b);
  return formatAddr(t.ipVersion(slot), K[o], K[o + 1], K[o + 2], K[o + 3]);
}

/** The initiator (client) of the flow in `slot` as "addr:port". */
function clientOf(t: FlowTable, slot: number): string {
  const initB = (t.flagsOf(slot) & F_INIT_B) !== 0;
  return `${addrOf(t, slot, initB)}:${t.port(slot, initB)}`;
}

const DEV = '192.168.1.10';
const SRV = '93.184.216.34';
const c2s = (flags: number, seq = 0): ViewSpec => ({ src: DEV, dst: SRV, sport: 50000, dport: 443, flags, seq });
const s2c = (flags: number, seq = 0): ViewSpec => ({ src: SRV, dst: DEV, sport: 443, dport: 50000, flags, seq });

describe('FlowTable: canonical key', () => {
  test('both directions of a connection are one flow, counted per direction', () => {
    const { t, send } = newTable();
    const id = send(c2s(TCP_SYN), T0, 74);
    const slot = t.slot;
    const aFromB = t.fromB;
    expect(t.created).toBe(true);
    expect(send(s2c(TCP_SYN | TCP_ACK), T0 + 10, 74)).toBe(id);
    expect(t.created).toBe(false);
    // The reply comes from the other canonical endpoint.
    expect(t.fromB).toBe(!aFromB);
    send(c2s(TCP_ACK), T0 + 20, 66);
    expect(t.size).toBe(1);
    expect([t.packetsOf(slot, aFromB), t.packetsOf(slot, !aFromB)]).toEqual([2, 1]);
    expect([t.bytesOf(slot, aFromB), t.bytesOf(slot, !aFromB)]).toEqual([140, 74]);
    expect(t.firstOf(slot)).toBe(T0);
    expect(t.lastOf(slot)).toBe(T0 + 20);
  });

  test('TCP and UDP with the same addresses and ports are different flows', () => {
    const { t, send } = newTable();
    const a = send({ src: DEV, dst: SRV, sport: 5000, dport: 53, proto: 'udp' }, T0);
    const b = send({ src: DEV, dst: SRV, sport: 5000, dport: 53, proto: 'tcp', flags: TCP_SYN }, T0 + 1);
    expect(a).not.toBe(b);
    expect(t.size).toBe(2);
  });

  test('the same 5-tuple at a different tunnel depth is a different flow', () => {
    // VXLAN: the inner packet can repeat the outer addresses; tshark keeps them apart too.
    const { t, send } = newTable();
    const a = send(c2s(TCP_SYN), T0, 60, 0);
    const b = send(c2s(TCP_SYN), T0 + 1, 60, 1);
    expect(a).not.toBe(b);
    expect(t.size).toBe(2);
  });

  test('IPv6 addresses that differ only in their high words are different flows', () => {
    // Adversarial: a hash that mixed only the low word (as for IPv4) would still find the right
    // flow by the full key compare, but a compare that skipped high words would merge these.
    const { t, send } = newTable();
    const a = send({ src: '2001:db8:1::10', dst: '2600::1', sport: 40000, dport: 443, flags: TCP_SYN }, T0);
    const b = send({ src: '2001:db8:2::10', dst: '2600::1', sport: 40000, dport: 443, flags: TCP_SYN }, T0 + 1);
    const c = send({ src: '2001:db8:1::10', dst: '2600:0:0:1::1', sport: 40000, dport: 443, flags: TCP_SYN }, T0 + 2);
    expect(new Set([a, b, c]).size).toBe(3);
    expect(send({ src: '2600::1', dst: '2001:db8:2::10', sport: 443, dport: 40000, flags: TCP_ACK }, T0 + 3)).toBe(b);
    expect(t.size).toBe(3);
  });

  test('a flow between two ports of the same host is one flow in both directions', () => {
    // Adversarial: equal addresses, so the canonical order falls through to the ports.
    const { t, send } = newTable();
    const a = send({ src: '127.0.0.1', dst: '127.0.0.1', sport: 40000, dport: 8080, flags: TCP_SYN }, T0);
    expect(send({ src: '127.0.0.1', dst: '127.0.0.1', sport: 8080, dport: 40000, flags: TCP_SYN | TCP_ACK }, T0 + 1)).toBe(a);
    expect(t.size).toBe(1);
    expect(clientOf(t, t.slot)).toBe('127.0.0.1:40000');
  });
});

describe('FlowTable: who initiated', () => {
  test.each([
    ['client address sorts first', '10.0.0.1', '20.0.0.1'],
    ['client address sorts last', '20.0.0.1', '10.0.0.1'],
  ])('a SYN makes its sender the initiator (%s)', (_why, client, server) => {
    const { t, send } = newTable();
    send({ src: client, dst: server, sport: 40000, dport: 443, flags: TCP_SYN }, T0);
    expect(clientOf(t, t.slot)).toBe(`${client}:40000`);
    expect(t.flagsOf(t.slot) & F_SYN).toBe(F_SYN);
    expect(t.flagsOf(t.slot) & (F_BY_PORT | F_BY_FIRST)).toBe(0);
  });

  test('a SYN-ACK seen first (SYN not captured) makes its receiver the initiator, without F_SYN', () => {
    const { t, send } = newTable();
    // Adversarial: sent from a "client-looking" high port, so a port heuristic would get it wrong.
    send({ src: SRV, dst: DEV, sport: 60000, dport: 40000, flags: TCP_SYN | TCP_ACK }, T0);
    expect(clientOf(t, t.slot)).toBe(`${DEV}:40000`);
    expect(t.flagsOf(t.slot) & F_SYN).toBe(0);
  });

  test('mid-stream, the side on the well-known port is the responder', () => {
    const { t, send } = newTable();
    // The first packet seen is the server's data: the connection started before the capture.
    send(s2c(TCP_ACK | TCP_PSH), T0);
    expect(clientOf(t, t.slot)).toBe(`${DEV}:50000`);
    expect(t.flagsOf(t.slot) & F_BY_PORT).toBe(F_BY_PORT);
  });

  test('a well-known port above 1024 (8883 MQTT over TLS) counts as a server port', () => {
    expect(isLikelyServerPort(8883)).toBe(true);
    expect(isLikelyServerPort(50000)).toBe(false);
    expect(isLikelyServerPort(0)).toBe(false);
    const { t, send } = newTable();
    send({ src: SRV, dst: DEV, sport: 8883, dport: 45000, flags: TCP_ACK }, T0);
    expect(clientOf(t, t.slot)).toBe(`${DEV}:45000`);
  });

  test('both ports look like services (mDNS 5353 → DNS 53): the lower port is the service', () => {
    const { t, send } = newTable();
    send({ src: DEV, dst: '192.168.1.1', sport: 5353, dport: 53, proto: 'udp' }, T0);
    expect(clientOf(t, t.slot)).toBe(`${DEV}:5353`);
    expect(t.flagsOf(t.slot) & F_BY_PORT).toBe(F_BY_PORT);
    // The same rule when the first packet is the reply.
    const r = newTable();
    r.send({ src: '192.168.1.1', dst: DEV, sport: 53, dport: 5353, proto: 'udp' }, T0);
    expect(clientOf(r.t, r.t.slot)).toBe(`${DEV}:5353`);
  });

  test('same service port on both sides (NTP 123 ↔ 123): the first sender initiates', () => {
    const { t, send } = newTable();
    send({ src: SRV, dst: DEV, sport: 123, dport: 123, proto: 'udp' }, T0);
    expect(clientOf(t, t.slot)).toBe(`${SRV}:123`);
    expect(t.flagsOf(t.slot) & F_BY_FIRST).toBe(F_BY_FIRST);
  });

  test('two ephemeral ports: the first sender initiates', () => {
    const { t, send } = newTable();
    send({ src: SRV, dst: DEV, sport: 40001, dport: 40002, proto: 'udp' }, T0);
    expect(clientOf(t, t.slot)).toBe(`${SRV}:40001`);
    expect(t.flagsOf(t.slot) & F_BY_FIRST).toBe(F_BY_FIRST);
  });

  test('the initiator is decided once: a later SYN from the other side does not flip it', () => {
    const { t, send } = newTable();
    send(s2c(TCP_ACK), T0);
    const before = clientOf(t, t.slot);
    send({ ...s2c(TCP_SYN) }, T0 + 1);
    expect(clientOf(t, t.slot)).toBe(before);
    expect(t.size).toBe(1);
  });
});

describe('FlowTable: TCP close and port reuse', () => {
  test('a new SYN after FIN from both sides starts a new flow; the old one is ended first', () => {
    const { t, ended, send } = newTable();
    const first = send(c2s(TCP_SYN, 100), T0);
    send(s2c(TCP_SYN | TCP_ACK, 900), T0 + 1);
    send(c2s(TCP_FIN | TCP_ACK), T0 + 2);
    send(s2c(TCP_FIN | TCP_ACK), T0 + 3);
    send(c2s(TCP_ACK), T0 + 4);
    expect(ended).toHaveLength(0);
    const second = send(c2s(TCP_SYN, 5000), T0 + 5);
    expect(second).not.toBe(first);
    expect(ended.map((e) => e.id)).toEqual([first]);
    expect(ended[0].pktsA + ended[0].pktsB).toBe(5);
    expect(t.size).toBe(1);
    expect(t.packetsOf(t.slot, false) + t.packetsOf(t.slot, true)).toBe(1);
  });

  test('a new SYN after an RST starts a new flow', () => {
    const { send } = newTable();
    const first = send(c2s(TCP_SYN, 100), T0);
    send(s2c(TCP_RST | TCP_ACK), T0 + 1);
    expect(send(c2s(TCP_SYN, 7000), T0 + 2)).not.toBe(first);
  });

  test('the same SYN again after an RST (Windows retries a refused connection) is the same flow, open again', () => {
    // tshark: one conversation, the later SYNs marked as retransmissions.
    const { t, ended, send } = newTable();
    const first = send(c2s(TCP_SYN, 100), T0);
    send(s2c(TCP_RST | TCP_ACK), T0 + 1);
    expect(send(c2s(TCP_SYN, 100), T0 + 500e3)).toBe(first);
    send(s2c(TCP_RST | TCP_ACK), T0 + 500e3 + 1);
    expect(send(c2s(TCP_SYN, 100), T0 + 1500e3)).toBe(first);
    // Answered this time: the connection lives past the close delay of the RSTs before it.
    send(s2c(TCP_SYN | TCP_ACK, 900), T0 + 1500e3 + 1);
    expect(send(c2s(TCP_ACK | TCP_PSH, 101), T0 + 1500e3 + 2)).toBe(first);
    send({ src: DEV, dst: SRV, sport: 1, dport: 9, proto: 'udp' }, T0 + DEFAULT_TIMEOUTS.closed + 30e6);
    expect(ended).toHaveLength(0);
    expect(send(c2s(TCP_ACK | TCP_PSH, 200), T0 + DEFAULT_TIMEOUTS.closed + 31e6)).toBe(first);
    expect(t.size).toBe(2);
  });

  test('a SYN with a new ISN on a connection that never closed is a new connection (a device rebooted onto the same port)', () => {
    // tshark: a bare SYN whose sequence number differs from its sender's first starts a new conversation.
    const { ended, send } = newTable();
    const first = send(c2s(TCP_SYN, 100), T0);
    send(s2c(TCP_SYN | TCP_ACK, 900), T0 + 1);
    send(c2s(TCP_ACK | TCP_PSH, 101), T0 + 2);
    const second = send(c2s(TCP_SYN, 555555), T0 + 3);
    expect(second).not.toBe(first);
    expect(ended.map((e) => e.id)).toEqual([first]);
  });

  test('a flow first seen mid-stream: a bare SYN with another sequence number starts a new flow, the same one does not', () => {
    const { send } = newTable();
    const first = send(c2s(TCP_ACK | TCP_PSH, 4000), T0);
    expect(send(c2s(TCP_SYN, 4000), T0 + 1)).toBe(first);
    expect(send(c2s(TCP_SYN, 90000), T0 + 2)).not.toBe(first);
  });

  test('only the server seen so far: a SYN is compared with what the server acknowledged, less one (tshark\'s base_seq)', () => {
    const { send } = newTable();
    // A SYN-ACK without its SYN (acknowledging ISN 700), then the SYN retransmitted: the same flow.
    const first = send({ ...s2c(TCP_SYN | TCP_ACK, 900), ack: 701 }, T0);
    expect(send(c2s(TCP_SYN, 700), T0 + 1)).toBe(first);
    // The server's data seen first (acknowledging 5001), then a SYN with a new ISN: a new connection.
    const b = newTable();
    const mid = b.send({ ...s2c(TCP_ACK | TCP_PSH, 9000), ack: 5001 }, T0);
    b.send({ ...s2c(TCP_ACK | TCP_PSH, 9100), ack: 5001 }, T0 + 1);
    expect(b.send(c2s(TCP_SYN, 123456), T0 + 2)).not.toBe(mid);
    expect(b.ended.map((e) => e.id)).toEqual([mid]);
  });

  test('a SYN after a FIN from only one side stays in the same flow (half-closed)', () => {
    const { send } = newTable();
    const first = send(c2s(TCP_SYN), T0);
    send(c2s(TCP_FIN | TCP_ACK), T0 + 1);
    // A retransmitted SYN on a half-closed connection is not a new connection.
    expect(send(c2s(TCP_SYN), T0 + 2)).toBe(first);
  });

  test('a SYN-ACK after close (late retransmission) does not start a new flow', () => {
    const { send } = newTable();
    const first = send(c2s(TCP_SYN), T0);
    send(s2c(TCP_RST), T0 + 1);
    expect(send(s2c(TCP_SYN | TCP_ACK), T0 + 2)).toBe(first);
  });

  test('the initial sequence numbers of both SYNs are kept per direction', () => {
    const { t, send } = newTable();
    send(c2s(TCP_SYN, 0xfffffff0), T0);
    const clientB = t.fromB;
    send(s2c(TCP_SYN | TCP_ACK, 7), T0 + 1);
    const serverB = t.fromB;
    expect(serverB).toBe(!clientB);
    expect(t.isnOf(t.slot, clientB)).toBe(0xfffffff0);
    expect(t.isnOf(t.slot, serverB)).toBe(7);
  });
});

describe('FlowTable: idle timeouts on packet time', () => {
  const udp = (ts: number, send: (s: ViewSpec, ts: number) => number): number =>
    send({ src: DEV, dst: SRV, sport: 40000, dport: 9999, proto: 'udp' }, ts);

  test('a UDP flow idle longer than its timeout ends; the next packet starts a new flow', () => {
    const { ended, send } = newTable();
    const a = udp(T0, send);
    expect(udp(T0 + DEFAULT_TIMEOUTS.udp - 1e6, send)).toBe(a); // within the timeout
    const last = T0 + DEFAULT_TIMEOUTS.udp - 1e6;
    const b = udp(last + DEFAULT_TIMEOUTS.udp + 2e6, send);
    expect(b).not.toBe(a);
    expect(ended.map((e) => e.id)).toEqual([a]);
  });

  test('expiry follows packet time, not the wall clock: a capture from years ago still splits correctly', () => {
    const { send } = newTable();
    const old = 946_684_800_000_000; // 2000-01-01
    const a = udp(old, send);
    expect(udp(old + 1e6, send)).toBe(a);
  });

  test('an open TCP connection outlives the UDP timeout', () => {
    const { ended, send } = newTable();
    const a = send(c2s(TCP_SYN), T0);
    send(s2c(TCP_SYN | TCP_ACK), T0 + 1e3); // answered: established (a bare SYN is half-open, 70 s)
    // Another flow's packet advances packet time past the UDP timeout.
    send({ src: DEV, dst: SRV, sport: 1, dport: 9, proto: 'udp' }, T0 + DEFAULT_TIMEOUTS.udp + 5e6);
    expect(ended).toHaveLength(0);
    expect(send(c2s(TCP_ACK), T0 + DEFAULT_TIMEOUTS.udp + 6e6)).toBe(a);
  });

  test('a connection kept only by keep-alives (Linux: a probe after 7,200 s of idleness, RFC 1122 §4.2.3.6) stays one flow', () => {
    const { ended, send } = newTable();
    const a = send(c2s(TCP_SYN), T0);
    send(s2c(TCP_SYN | TCP_ACK), T0 + 1e3);
    send(c2s(TCP_ACK), T0 + 2e3);
    let t = T0 + 2e3;
    for (let i = 0; i < 3; i++) {
      t += 7200e6;
      // Another flow's packet first advances packet time to the probe's second.
      send({ src: DEV, dst: SRV, sport: 2 + i, dport: 9, proto: 'udp' }, t - 1);
      expect(send(c2s(TCP_ACK), t)).toBe(a);
      expect(send(s2c(TCP_ACK), t + 1e3)).toBe(a);
    }
    expect(ended.filter((e) => e.id === a)).toHaveLength(0);
    // Silent past the timeout: it ends.
    send({ src: DEV, dst: SRV, sport: 1, dport: 9, proto: 'udp' }, t + DEFAULT_TIMEOUTS.tcpOpen + 2e6);
    expect(ended.map((e) => e.id)).toContain(a);
  });

  test('late segments of a closed connection within the close delay stay its own (a retransmission and RST 7 s after the FINs)', () => {
    // nDPI's skype.pcap: FIN from each side, then the server retransmits data and the client
    // answers RST ~7 s later. tshark, nDPI and Suricata keep them in the one connection.
    const { ended, send } = newTable();
    const a = send(c2s(TCP_SYN), T0);
    send(s2c(TCP_SYN | TCP_ACK), T0 + 1);
    send(c2s(TCP_FIN | TCP_ACK), T0 + 2e6);
    send(s2c(TCP_FIN | TCP_ACK), T0 + 3e6);
    expect(send(s2c(TCP_PSH | TCP_ACK), T0 + 10e6)).toBe(a);
    expect(send(c2s(TCP_RST), T0 + 10e6 + 1)).toBe(a);
    expect(ended).toHaveLength(0);
    // The close delay runs from the connection's last packet.
    send({ src: DEV, dst: SRV, sport: 1, dport: 9, proto: 'udp' }, T0 + 10e6 + DEFAULT_TIMEOUTS.closed - 1e6);
    expect(ended).toHaveLength(0);
    send({ src: DEV, dst: SRV, sport: 1, dport: 9, proto: 'udp' }, T0 + 10e6 + DEFAULT_TIMEOUTS.closed + 2e6);
    expect(ended.map((e) => e.id)).toEqual([a]);
  });

  test('a connection first seen mid-stream, one direction only, is established: not the half-open timeout', () => {
    // nDPI's wechat.pcap: a one-sided capture, client segments 80-135 s apart on one connection.
    const { ended, send } = newTable();
    const a = send(c2s(TCP_PSH | TCP_ACK), T0);
    send({ src: DEV, dst: SRV, sport: 1, dport: 9, proto: 'udp' }, T0 + DEFAULT_TIMEOUTS.tcpNew + 30e6);
    expect(ended).toHaveLength(0);
    expect(send(c2s(TCP_ACK), T0 + DEFAULT_TIMEOUTS.tcpNew + 31e6)).toBe(a);
  });

  test('a one-sided capture that holds the SYN: the initiator\'s acknowledgements make it established', () => {
    // The SYN-ACK is on the other path; the client's ACK shows it arrived.
    const { ended, send } = newTable();
    const a = send(c2s(TCP_SYN, 100), T0);
    send(c2s(TCP_ACK, 101), T0 + 1);
    send({ src: DEV, dst: SRV, sport: 1, dport: 9, proto: 'udp' }, T0 + DEFAULT_TIMEOUTS.tcpNew + 30e6);
    expect(ended).toHaveLength(0);
    expect(send(c2s(TCP_ACK | TCP_PSH, 101), T0 + DEFAULT_TIMEOUTS.tcpNew + 31e6)).toBe(a);
  });

  test('Linux\'s whole connection attempt (SYN retries 1 … 32 s apart, a RST 64 s after the last) is one flow', () => {
    const { ended, send } = newTable();
    const a = send(c2s(TCP_SYN, 77), T0);
    let t = T0;
    for (const gap of [1, 2, 4, 8, 16, 32]) {
      t += gap * 1e6;
      expect(send(c2s(TCP_SYN, 77), t)).toBe(a);
    }
    expect(send(c2s(TCP_RST | TCP_ACK, 77), t + 64e6)).toBe(a);
    expect(ended).toHaveLength(0);
  });

  test('an unanswered bare SYN expires at the half-open timeout', () => {
    const { ended, send } = newTable();
    const a = send(c2s(TCP_SYN), T0);
    send({ src: DEV, dst: SRV, sport: 1, dport: 9, proto: 'udp' }, T0 + DEFAULT_TIMEOUTS.tcpNew + 1e6);
    expect(ended.map((e) => e.id)).toEqual([a]);
  });

  test('a closed TCP connection ends after the close delay', () => {
    const { ended, send } = newTable();
    const a = send(c2s(TCP_SYN), T0);
    send(s2c(TCP_RST), T0 + 1);
    send({ src: DEV, dst: SRV, sport: 1, dport: 9, proto: 'udp' }, T0 + DEFAULT_TIMEOUTS.closed + 2e6);
    expect(ended.map((e) => e.id)).toEqual([a]);
  });

  test('setTimeoutClass(Short) makes an answered flow expire at the short timeout', () => {
    const timeouts = { ...DEFAULT_TIMEOUTS };
    const { t, ended, send } = newTable(undefined, timeouts);
    const a = send({ src: DEV, dst: '192.168.1.1', sport: 40000, dport: 53, proto: 'udp' }, T0);
    t.setTimeoutClass(t.slot, TimeoutClass.Short);
    const b = send({ src: DEV, dst: SRV, sport: 40001, dport: 9999, proto: 'udp' }, T0 + timeouts.short + 2e6);
    expect(ended.map((e) => e.id)).toEqual([a]);
    expect(b).not.toBe(a);
  });

  test('each timeout class uses its own limit (custom timeouts)', () => {
    const { ended, send } = newTable(undefined, { udp: 10e6, tcpOpen: 100e6, closed: 1e6, short: 1e6, tcpNew: 60e6 });
    const u = send({ src: DEV, dst: SRV, sport: 1000, dport: 9999, proto: 'udp' }, T0);
    const tc = send(c2s(TCP_SYN), T0);
    send({ src: DEV, dst: SRV, sport: 2000, dport: 9999, proto: 'udp' }, T0 + 20e6);
    expect(ended.map((e) => e.id)).toEqual([u]);
    send({ src: DEV, dst: SRV, sport: 2000, dport: 9999, proto: 'udp' }, T0 + 105e6);
    expect(ended.map((e) => e.id)).toContain(tc);
  });

  test('an unanswered SYN expires at the half-open timeout; an answered one lives to the established timeout', () => {
    // A SYN flood or a dead server must not keep half-open attempts for an hour.
    const timeouts = { udp: 1000e6, tcpOpen: 100e6, closed: 1e6, short: 1e6, tcpNew: 20e6 };
    const { ended, send } = newTable(undefined, timeouts);
    const halfOpen = send(c2s(TCP_SYN), T0);
    const est = send({ ...c2s(TCP_SYN), sport: 50001 }, T0);
    send({ ...s2c(TCP_SYN | TCP_ACK), dport: 50001 }, T0 + 1e3); // the responder answers the second one
    send({ src: DEV, dst: SRV, sport: 3000, dport: 9999, proto: 'udp' }, T0 + 30e6);
    expect(ended.map((e) => e.id)).toEqual([halfOpen]);
    send({ src: DEV, dst: SRV, sport: 3001, dport: 9999, proto: 'udp' }, T0 + 102e6);
    expect(ended.map((e) => e.id)).toContain(est);
  });

  test('endAll ends every flow exactly once', () => {
    const { t, ended, send } = newTable();
    const ids = [
      send(c2s(TCP_SYN), T0),
      send({ src: DEV, dst: SRV, sport: 1, dport: 9, proto: 'udp' }, T0 + 1),
      send({ src: DEV, dst: SRV, sport: 2, dport: 9, proto: 'udp' }, T0 + 2),
    ];
    send(s2c(TCP_RST), T0 + 3); // moves the TCP flow to the Closed class
    t.endAll();
    expect(ended.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(t.size).toBe(0);
  });
});

describe('FlowTable: the cap', () => {
  test('at maxFlows the least recently used flow is evicted, flagged and counted', () => {
    const { t, ended, send } = newTable(3);
    const f = (p: number): ViewSpec => ({ src: DEV, dst: SRV, sport: p, dport: 9999, proto: 'udp' });
    const a = send(f(1), T0);
    const b = send(f(2), T0 + 1);
    const c = send(f(3), T0 + 2);
    expect(send(f(1), T0 + 3)).toBe(a); // a is now the most recent
    const d = send(f(4), T0 + 4);
    expect(ended.map((e) => e.id)).toEqual([b]);
    expect(ended[0].flags & F_EVICTED).toBe(F_EVICTED);
    expect(t.evicted).toBe(1);
    expect(t.size).toBe(3);
    expect(t.capacity).toBeLessThanOrEqual(3);
    // The survivors are still found.
    expect(send(f(3), T0 + 5)).toBe(c);
    expect(send(f(4), T0 + 6)).toBe(d);
    expect(send(f(1), T0 + 7)).toBe(a);
    expect(t.evicted).toBe(1);
  });

  test('eviction picks the oldest flow across timeout classes', () => {
    const { ended, send } = newTable(2);
    const tcpFlow = send(c2s(TCP_SYN), T0); // TcpOpen class, oldest
    send({ src: DEV, dst: SRV, sport: 1, dport: 9, proto: 'udp' }, T0 + 1); // Udp class
    send({ src: DEV, dst: SRV, sport: 2, dport: 9, proto: 'udp' }, T0 + 2);
    expect(ended.map((e) => e.id)).toEqual([tcpFlow]);
  });
});

describe('FlowTable: growth and churn', () => {
  test('flows created past the initial capacity are found again by their later packets', () => {
    // Adversarial: the table starts with 4096 slots and grows while inserting; every flow
    // (including the one whose insert triggered the growth) must be found by its next packet.
    const { t, send } = newTable();
    const n = 10_000;
    const ids: number[] = [];
    const spec = (i: number): ViewSpec => ({ src: `10.${(i >> 8) & 255}.${i & 255}.1`, dst: SRV, sport: 40000, dport: 443, flags: TCP_SYN });
    for (let i = 0; i < n; i++) ids.push(send(spec(i), T0 + i));
    expect(t.size).toBe(n);
    const misses: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = send({ ...spec(i), flags: TCP_ACK }, T0 + n + i);
      if (id !== ids[i] || t.created) misses.push(i);
    }
    expect(misses).toEqual([]);
    expect(t.size).toBe(n);
  });

  // 64 flows leave the 1,024-position index nearly empty; 512 fill it to its 1/2 load factor, so
  // clusters are long and deleting from them shifts entries back (and wraps around the end).
  test.each([64, 512])('matches a naive Map model under random traffic with eviction (%i flows: deletions inside clusters, growth)', (maxFlows) => {
    const { t, send } = newTable(maxFlows);
    // Reference model: canonical key → { id, last }, evicting the least recently used.
    const model = new Map<string, { id: number; last: number }>();
    let nextId = 1;
    let evictions = 0;
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let i = 0; i < 20_000; i++) {
      const hostA = rnd(20);
      const hostB = rnd(20);
      const pa = 1000 + rnd(10);
      const pb = 2000 + rnd(10);
      const v6 = rnd(2) === 0;
      const addr = (h: number): string => (v6 ? `2001:db8::${h + 1}` : `10.0.0.${h + 1}`);
      const ts = T0 + i; // 1 µs apart: no timeouts, eviction only
      const ends = [`${addr(hostA)}|${pa}`, `${addr(hostB)}|${pb}`].sort();
      const key = `${v6}|${ends.join('>')}`;
      let m = model.get(key);
      if (!m) {
        if (model.size >= maxFlows) {
          let victim = '';
          let oldest = Infinity;
          for (const [k, e] of model) if (e.last < oldest) { oldest = e.last; victim = k; }
          model.delete(victim);
          evictions++;
        }
        m = { id: nextId++, last: ts };
        model.set(key, m);
      }
      m.last = ts;
      const id = send({ src: addr(hostA), dst: addr(hostB), sport: pa, dport: pb, proto: 'udp' }, ts);
      if (id !== m.id) throw new Error(`packet ${i}: table gave flow ${id}, model ${m.id}`);
    }
    expect(t.size).toBe(model.size);
    expect(t.evicted).toBe(evictions);
    expect(evictions).toBeGreaterThan(100); // the test did exercise eviction
  });
});
