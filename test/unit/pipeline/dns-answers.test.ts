/**
 * Which DNS answers name later flows: only answers on the CNAME chain from the question (no
 * extra records a resolver passed through), for the TTL RFC 2181 allows and no longer than the
 * chain's shortest link; mDNS answers multicast on the link name flows between hosts there.
 */
import { Scenario } from './scenario';
import { ipv4 } from '../decode/build';
import { DNS_A, DNS_CNAME, dnsMessage, type DnsAnswerSpec } from '../../helpers/packets';
import type { FlowRecord } from '../../../src/report/records';
import { clientHelloMessage, records } from '../extract/helpers/tls-builder';
import { PolicyEngine } from '../../../src/policy/evaluate';
import { resolvePack } from '../../../src/policy/packs';

const DEV = '192.0.2.10';
const RESOLVER = '198.51.100.53';

const flowTo = (flows: FlowRecord[], ip: string): FlowRecord => {
  const f = flows.filter((x) => x.remote_ip === ip);
  if (f.length !== 1) throw new Error(`expected one flow to ${ip}, got ${f.length}`);
  return f[0];
};

/** A lookup of `qname` at `ms`, answered 1 ms later with `answers`, from the device's port `port`. */
function lookup(s: Scenario, ms: number, port: number, qname: string, answers: DnsAnswerSpec[]): Scenario {
  const id = port & 0xffff;
  return s.udp(ms, DEV, port, RESOLVER, 53, dnsMessage(id, false, qname, DNS_A))
    .udp(ms + 1, RESOLVER, 53, DEV, port, dnsMessage(id, true, qname, DNS_A, answers));
}

describe('answers that are not on the chain from the question name nothing', () => {
  test('an extra A record for a documented name, passed through with the answer for another name, does not name a connection to its address', () => {
    const s = lookup(new Scenario(), 0, 40001, 'injected.example.net', [
      { name: 'injected.example.net', type: DNS_A, ttl: 300, data: '203.0.113.36' },
      { name: 'update.vendor.example', type: DNS_A, ttl: 300, data: '203.0.113.37' },
    ]).tcp(10, DEV, 50001, '203.0.113.37', 443, new Uint8Array(0))
      .tcp(20, DEV, 50002, '203.0.113.36', 443, new Uint8Array(0));
    const { flows } = s.run([DEV]);
    expect(flowTo(flows, '203.0.113.37')).toMatchObject({ name: null, names: [], unnamed_reason: 'ip-literal' });
    expect(flowTo(flows, '203.0.113.36')).toMatchObject({ name: 'injected.example.net', name_source: 'dns-answer' });
  });

  test('an extra record for the same address lends no second name (the SNI is still held against what was asked)', () => {
    const s = lookup(new Scenario(), 0, 40002, 'injected.example.net', [
      { name: 'injected.example.net', type: DNS_A, ttl: 300, data: '203.0.113.26' },
      { name: 'api.vendor.example', type: DNS_A, ttl: 300, data: '203.0.113.26' },
    ]).tcp(10, DEV, 50003, '203.0.113.26', 443, new Uint8Array(0));
    const f = flowTo(s.run([DEV]).flows, '203.0.113.26');
    expect(f.names).toEqual([{ name: 'injected.example.net', source: 'dns-answer' }]);
  });

  test('a CNAME chain of 20 links still leads back to the question; an answer past a broken link names nothing', () => {
    const chain: DnsAnswerSpec[] = [];
    let prev = 'chain.vendor.example';
    for (let i = 1; i <= 20; i++) {
      const next = `h${i}.cdn.example.net`;
      chain.push({ name: prev, type: DNS_CNAME, ttl: 300, data: next });
      prev = next;
    }
    chain.push({ name: prev, type: DNS_A, ttl: 300, data: '203.0.113.40' });
    chain.push({ name: 'orphan.cdn.example.net', type: DNS_A, ttl: 300, data: '203.0.113.41' });
    const s = lookup(new Scenario(), 0, 40003, 'chain.vendor.example', chain)
      .tcp(10, DEV, 50004, '203.0.113.40', 443, new Uint8Array(0))
      .tcp(20, DEV, 50005, '203.0.113.41', 443, new Uint8Array(0));
    const { flows } = s.run([DEV]);
    expect(flowTo(flows, '203.0.113.40')).toMatchObject({ name: 'chain.vendor.example', name_source: 'dns-answer' });
    expect(flowTo(flows, '203.0.113.41').name).toBeNull();
  });
});

describe('how long an answer names flows', () => {
  test('with a 5 s grace: a TTL of 2^31 or more counts as 0 (RFC 2181 §8), naming a flow 2 s later but not 9 s later; a CNAME\'s TTL of 1 s cuts its A record\'s hour', () => {
    const s = lookup(new Scenario(), 0, 40005, 'huge-ttl.vendor.example', [{ name: 'huge-ttl.vendor.example', type: DNS_A, ttl: 0x80000001, data: '203.0.113.51' }]);
    lookup(s, 0, 40006, 'alias.vendor.example', [
      { name: 'alias.vendor.example', type: DNS_CNAME, ttl: 1, data: 'edge.cdn.example.net' },
      { name: 'edge.cdn.example.net', type: DNS_A, ttl: 3600, data: '203.0.113.52' },
    ]);
    lookup(s, 0, 40007, 'plain.vendor.example', [{ name: 'plain.vendor.example', type: DNS_A, ttl: 3600, data: '203.0.113.53' }])
      .tcp(2_000, DEV, 50008, '203.0.113.51', 443, new Uint8Array(0))
      .tcp(9_000, DEV, 50009, '203.0.113.51', 443, new Uint8Array(0))
      .tcp(4_000, DEV, 50010, '203.0.113.52', 443, new Uint8Array(0))
      .tcp(9_000, DEV, 50011, '203.0.113.52', 443, new Uint8Array(0))
      .tcp(9_000, DEV, 50012, '203.0.113.53', 443, new Uint8Array(0));
    const flows = s.run([DEV], { dnsGraceMicros: 5e6 }).flows;
    const names = (ip: string): (string | null)[] => flows.filter((f) => f.remote_ip === ip).sort((a, b) => a.first_ts - b.first_ts).map((f) => f.name);
    expect(names('203.0.113.51')).toEqual(['huge-ttl.vendor.example', null]);
    expect(names('203.0.113.52')).toEqual(['alias.vendor.example', null]);
    expect(names('203.0.113.53')).toEqual(['plain.vendor.example']);
  });
});

describe('mDNS answers multicast on the link', () => {
  const PEER = '192.0.2.20';
  const announce = (name: string, addr: string): Uint8Array => {
    // A response without questions (RFC 6762 §8.3): one A record, cache-flush class.
    const m = Buffer.from(dnsMessage(0, true, name, DNS_A, [{ name, type: DNS_A, ttl: 120, data: addr }]));
    return Buffer.concat([m.subarray(0, 4), Buffer.from([0, 0]), m.subarray(6, 12), m.subarray(12 + name.length + 2 + 4)]);
  };

  test('name a flow between two hosts of the link, not one from elsewhere, and never lend a name that is not .local', () => {
    const s = new Scenario()
      .udp(0, PEER, 5353, '224.0.0.251', 5353, announce('printer.local', PEER))
      .udp(1, PEER, 5353, '224.0.0.251', 5353, announce('api.vendor.example', '192.0.2.21'))
      .tcp(10, DEV, 50020, PEER, 631, new Uint8Array(0))
      .tcp(20, '203.0.113.200', 50021, PEER, 631, new Uint8Array(0))
      .tcp(30, DEV, 50022, '192.0.2.21', 443, new Uint8Array(0));
    const { flows } = s.run([DEV]);
    expect(flows.find((f) => f.device_ip === DEV && f.remote_ip === PEER)).toMatchObject({ name: 'printer.local', name_source: 'dns-answer' });
    expect(flows.find((f) => f.remote_ip === '203.0.113.200' || f.device_ip === '203.0.113.200')?.name).toBeNull();
    expect(flowTo(flows, '192.0.2.21').name).toBeNull();
  });
});

describe('a response repeated for a retransmitted query', () => {
  test('is no lookup of its own: two queries, two records, both answered, none response_only; a response for another query still is one', () => {
    const q = dnsMessage(0x7777, false, 'slow.vendor.example', DNS_A);
    const r = dnsMessage(0x7777, true, 'slow.vendor.example', DNS_A, [{ name: 'slow.vendor.example', type: DNS_A, ttl: 60, data: '203.0.113.60' }]);
    const s = new Scenario()
      .udp(0, DEV, 40100, RESOLVER, 53, q)
      .udp(1000, DEV, 40100, RESOLVER, 53, q)
      .udp(1200, RESOLVER, 53, DEV, 40100, r)
      .udp(1201, RESOLVER, 53, DEV, 40100, r)
      .udp(1300, RESOLVER, 53, DEV, 40100, dnsMessage(0x1234, true, 'unasked.example.net', DNS_A, [{ name: 'unasked.example.net', type: DNS_A, ttl: 60, data: '203.0.113.61' }]));
    const { dns } = s.run([DEV]);
    expect(dns.map((d) => [d.qname, d.answers.length, d.response_only ?? false])).toEqual([
      ['slow.vendor.example', 1, false],
      ['slow.vendor.example', 1, false],
      ['unasked.example.net', 1, true],
    ]);
  });
});

describe('a unicast mDNS or LLMNR reply to a query the device multicast (RFC 6762 §6.7, RFC 4795 §2.4)', () => {
  const PEER = '192.0.2.20';
  /** A response repeating the question, with one A answer (a legacy unicast reply). */
  const reply = (id: number, name: string, addr: string): Uint8Array => dnsMessage(id, true, name, DNS_A, [{ name, type: DNS_A, ttl: 10, data: addr }]);

  test('completes the query on the group flow (no response_only record); its own flow is local, marked as the reply, and judged as the group exchange', () => {
    const s = new Scenario()
      .udp(0, DEV, 47431, '224.0.0.251', 5353, dnsMessage(0x2a, false, 'printer.local', DNS_A))
      .udp(5, PEER, 5353, DEV, 47431, reply(0x2a, 'printer.local', PEER))
      .udp(10, DEV, 47432, '224.0.0.252', 5355, dnsMessage(0x2b, false, 'nas', DNS_A))
      .udp(15, PEER, 5355, DEV, 47432, reply(0x2b, 'nas', PEER))
      .udp(20, PEER, 5353, DEV, 47433, reply(0x2c, 'unasked.local', PEER)); // no query was multicast from 47433
    const { flows, dns } = s.run([DEV]);
    expect(dns.map((d) => [d.qname, d.server_ip, d.answers.map((a) => a.data), d.response_only ?? false])).toEqual([
      ['printer.local', '224.0.0.251', [PEER], false],
      ['nas', '224.0.0.252', [PEER], false],
      ['unasked.local', PEER, [PEER], true],
    ]);
    const group = flows.find((f) => f.remote_ip === '224.0.0.251')!;
    const mdnsReply = flows.find((f) => f.remote_ip === PEER && f.device_port === 47431)!;
    expect(mdnsReply).toMatchObject({ direction: 'local', app: 'mdns', reply_to: group.id, reply_group: '224.0.0.251', packets_out: 0, packets_in: 1 });
    expect(flows.find((f) => f.remote_ip === PEER && f.device_port === 47432)).toMatchObject({ direction: 'local', reply_group: '224.0.0.252' });
    expect(flows.find((f) => f.remote_ip === PEER && f.device_port === 47433)?.reply_to).toBeUndefined();

    const engine = new PolicyEngine([resolvePack('bitbox-base')]);
    expect(engine.judgeFlow(group)).toMatchObject({ verdict: 'declared', rule: 'bitbox-mdns-out' });
    expect(engine.judgeFlow(mdnsReply)).toMatchObject({ verdict: 'declared', rule: 'bitbox-mdns-out' });
  });
});

describe('what no answer may do (found in review)', () => {
  const PEER = '192.0.2.20';
  const noSniHello = (): Uint8Array => records(clientHelloMessage({ ciphers: [0xc02f, 0x1301], extensions: [] }));

  test('an mDNS answer lends no name that is not link-local, through a CNAME from the question either (unicast or to the group), and a unicast one names nothing off the link', () => {
    for (const [to, target, names] of [
      [DEV, '192.0.2.77', [{ name: 'x.local', source: 'dns-answer' }]],
      ['224.0.0.251', '192.0.2.78', [{ name: 'x.local', source: 'dns-answer' }]],
      [DEV, '203.0.113.77', []], // a .local name for an address off the link: no name at all
    ] as const) {
      const m = dnsMessage(0, true, 'radar.exactlylabs.com', DNS_A, [
        { name: 'radar.exactlylabs.com', type: DNS_CNAME, ttl: 120, data: 'x.local' },
        { name: 'x.local', type: DNS_A, ttl: 120, data: target },
      ]);
      const s = new Scenario().udp(0, PEER, 5353, to, 5353, m).tcp(10, DEV, 50001, target, 443, noSniHello());
      const f = flowTo(s.run([DEV]).flows, target);
      expect(f.names).toEqual(names);
      expect(new PolicyEngine([resolvePack('radar-pod')]).judgeFlow(f).verdict).toBe('undeclared');
    }
  });

  test('a "reply" to the device\'s multicast query from a host off the link is no part of the exchange (RFC 6762 §11)', () => {
    const EVIL = '203.0.113.66';
    const s = new Scenario()
      .udp(0, DEV, 47431, '224.0.0.251', 5353, dnsMessage(0x2a, false, 'printer.local', DNS_A))
      .udp(1, DEV, 47431, EVIL, 5353, new Uint8Array(1200).fill(0x41))
      .udp(2, EVIL, 5353, DEV, 47431, dnsMessage(0x2a, true, 'printer.local', DNS_A, [{ name: 'printer.local', type: DNS_A, ttl: 10, data: PEER }]));
    const { flows, dns } = s.run([DEV]);
    const f = flowTo(flows, EVIL);
    expect(f.reply_to).toBeUndefined();
    expect(f.direction).not.toBe('local');
    expect(new PolicyEngine([resolvePack('bitbox-base')]).judgeFlow(f).verdict).toBe('undeclared');
    expect(dns.find((d) => d.server_ip === '224.0.0.251')!.answers).toEqual([]);
  });

  test('every host that answers one multicast query is heard: the first joins the query, the next is a record of its own', () => {
    const q = dnsMessage(0x2b, false, 'printer.local', DNS_A);
    const answer = (addr: string): Uint8Array => dnsMessage(0x2b, true, 'printer.local', DNS_A, [{ name: 'printer.local', type: DNS_A, ttl: 10, data: addr }]);
    const s = new Scenario()
      .udp(0, DEV, 47440, '224.0.0.251', 5353, q)
      .udp(1, PEER, 5353, DEV, 47440, answer(PEER))
      .udp(2, '192.0.2.21', 5353, DEV, 47440, answer('192.0.2.21'));
    const { dns, flows } = s.run([DEV]);
    expect(dns.map((d) => [d.server_ip, d.answers.map((a) => a.data), d.response_only ?? false])).toEqual([
      ['224.0.0.251', [PEER], false],
      ['192.0.2.21', ['192.0.2.21'], true],
    ]);
    expect(flows.filter((f) => f.reply_group === '224.0.0.251')).toHaveLength(2);
  });

  test('a second response that says something else is evidence, not a repeat: its own record', () => {
    const q = dnsMessage(0x7777, false, 'radar.exactlylabs.com', DNS_A);
    const r = (addr: string): Uint8Array => dnsMessage(0x7777, true, 'radar.exactlylabs.com', DNS_A, [{ name: 'radar.exactlylabs.com', type: DNS_A, ttl: 60, data: addr }]);
    const s = new Scenario().udp(0, DEV, 40110, RESOLVER, 53, q).udp(1, RESOLVER, 53, DEV, 40110, r('203.0.113.60')).udp(2, RESOLVER, 53, DEV, 40110, r('203.0.113.99'));
    expect(s.run([DEV]).dns.map((d) => [d.answers[0].data, d.response_only ?? false])).toEqual([['203.0.113.60', false], ['203.0.113.99', true]]);
  });

  test('a CNAME loop and a response of many questions and answers end at once (each name followed once)', () => {
    const qs = Array.from({ length: 40 }, (_, i) => `q${i}.example.net`);
    const answers: DnsAnswerSpec[] = [
      { name: 'q0.example.net', type: DNS_CNAME, ttl: 60, data: 'loop-a.example.net' },
      { name: 'loop-a.example.net', type: DNS_CNAME, ttl: 60, data: 'loop-b.example.net' },
      { name: 'loop-b.example.net', type: DNS_CNAME, ttl: 60, data: 'loop-a.example.net' },
      ...qs.map((n, i) => ({ name: n === 'q0.example.net' ? 'loop-b.example.net' : n, type: DNS_A, ttl: 60, data: `203.0.113.${100 + i}` })),
    ];
    const m = Buffer.from(dnsMessage(9, true, qs[0], DNS_A, answers));
    const s = new Scenario().udp(0, DEV, 40120, RESOLVER, 53, dnsMessage(9, false, qs[0], DNS_A)).udp(1, RESOLVER, 53, DEV, 40120, m)
      .tcp(10, DEV, 50030, '203.0.113.100', 443, new Uint8Array(0));
    expect(flowTo(s.run([DEV]).flows, '203.0.113.100').name).toBe('q0.example.net');
  });
});

test('a querier\'s own announcement from the same socket does not answer its query (mDNS): the query keeps no answers', () => {
  const own = Buffer.from(dnsMessage(0, true, 'base.local', DNS_A, [{ name: 'base.local', type: DNS_A, ttl: 120, data: DEV }]));
  // As an announcement carries it: no question (RFC 6762 §8.3).
  const announcement = Buffer.concat([own.subarray(0, 4), Buffer.from([0, 0]), own.subarray(6, 12), own.subarray(12 + 'base.local'.length + 2 + 4)]);
  const s = new Scenario()
    .udp(0, DEV, 5353, '224.0.0.251', 5353, dnsMessage(0, false, '_http._tcp.local', 12))
    .udp(229, DEV, 5353, '224.0.0.251', 5353, announcement);
  const { dns } = s.run([DEV]);
  expect(dns.map((d) => [d.qname, d.answers, d.rcode])).toEqual([['_http._tcp.local', [], null]]);
});

describe('with --device: traffic the device did not take part in, and lookups it answered', () => {
  const PEER = '192.0.2.20';
  test('a neighbour\'s multicast and lookups are reported as foreign and not judged; the device addresses stay the device\'s', () => {
    const s = new Scenario()
      .udp(0, PEER, 1900, '239.255.255.250', 1900, Buffer.from('NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\n\r\n'))
      .udp(5, PEER, 40200, RESOLVER, 53, dnsMessage(0x31, false, 'tracker.example.net', DNS_A))
      .udp(6, RESOLVER, 53, PEER, 40200, dnsMessage(0x31, true, 'tracker.example.net', DNS_A, [{ name: 'tracker.example.net', type: DNS_A, ttl: 60, data: '203.0.113.5' }]))
      .udp(10, 'fe80::20', 5353, 'ff02::fb', 5353, dnsMessage(0, false, 'printer.local', DNS_A)); // link-local: maybe the device's own
    const r = s.run([DEV]);
    const ssdp = r.flows.find((f) => f.remote_ip === '239.255.255.250')!;
    expect(ssdp.foreign).toBe(true);
    expect(r.dns.find((d) => d.qname === 'tracker.example.net')).toMatchObject({ foreign: true });
    expect(r.dns.find((d) => d.qname === 'printer.local')?.foreign).toBeUndefined();
    expect(r.summary.device_ips).not.toContain(PEER);
    const engine = new PolicyEngine([resolvePack('nebra-hotspot')]);
    expect(engine.judgeFlow(ssdp)).toMatchObject({ verdict: 'declared', rule: null, explanation: expect.stringMatching(/^Not judged: neither end .* is a --device address/) });
    expect(engine.judgeDns(r.dns.find((d) => d.qname === 'tracker.example.net')!)).toMatchObject({ verdict: 'declared', rule: null });
  });

  describe('on Ethernet, a link-local sender is the device only when its MAC is one a --device address sends from', () => {
    const DEV_MAC = '02:bb:0b:a5:e0:10';
    const NEIGHBOUR_MAC = '02:aa:00:00:00:99';
    const macs = { [DEV]: DEV_MAC, 'fe80::10': DEV_MAC, 'fe80::99': NEIGHBOUR_MAC, '169.254.7.9': NEIGHBOUR_MAC };
    // The device looks a name up from its --device address (its MAC is learned from that), then
    // its fe80:: address and a neighbour's both multicast mDNS; the neighbour also asks LLMNR,
    // solicits DHCPv6 and announces itself from 169.254/16; last, the neighbour opens SSH to the
    // device's fe80:: address (unicast, to the device's MAC).
    const scenario = (): Scenario => lookup(new Scenario().ethernet(macs), 0, 40100, 'api.nebra.com', [{ name: 'api.nebra.com', type: DNS_A, ttl: 60, data: '203.0.113.9' }])
      .udp(10, 'fe80::10', 5353, 'ff02::fb', 5353, dnsMessage(0, false, 'base.local', DNS_A))
      .udp(20, 'fe80::99', 5353, 'ff02::fb', 5353, dnsMessage(0, false, 'printer.local', DNS_A))
      .udp(30, 'fe80::99', 50001, 'ff02::1:3', 5355, dnsMessage(0x77, false, 'fileserver', DNS_A))
      .udp(40, 'fe80::99', 546, 'ff02::1:2', 547, Uint8Array.from([1, 0x12, 0x34, 0x56, 0, 8, 0, 2, 0, 0]))
      .udp(50, '169.254.7.9', 5353, '224.0.0.251', 5353, dnsMessage(0, false, 'nas.local', DNS_A))
      .tcp(60, 'fe80::99', 50022, 'fe80::10', 22, new TextEncoder().encode('SSH-2.0-OpenSSH_9.2\r\n'));

    test('the neighbour\'s multicast flows and lookups are foreign; the device\'s fe80:: traffic and the SSH session to it are the device\'s', () => {
      const r = scenario().run([DEV]);
      const from = (ip: string, port: number) => r.flows.find((f) => (f.device_ip === ip && f.device_port === port) || (f.remote_ip === ip && f.remote_port === port))!;
      expect(from('fe80::10', 5353).foreign).toBeUndefined();
      for (const [ip, port] of [['fe80::99', 5353], ['fe80::99', 50001], ['fe80::99', 546], ['169.254.7.9', 5353]] as const) {
        expect({ ip, port, foreign: from(ip, port).foreign }).toEqual({ ip, port, foreign: true });
      }
      const ssh = r.flows.find((f) => f.proto === 'tcp')!;
      expect(ssh).toMatchObject({ device_ip: 'fe80::10', device_port: 22, remote_ip: 'fe80::99', direction: 'inbound', app: 'ssh' });
      expect(ssh.foreign).toBeUndefined();
      expect(r.dns.find((d) => d.qname === 'base.local')?.foreign).toBeUndefined();
      for (const q of ['printer.local', 'fileserver', 'nas.local']) expect({ q, foreign: r.dns.find((d) => d.qname === q)?.foreign }).toEqual({ q, foreign: true });
      expect(r.summary.device_ips).toContain('fe80::10');
      expect(r.summary.device_ips).not.toContain('fe80::99');
      expect(r.summary.device_ips).not.toContain('169.254.7.9');
      // A pack that judges the local network (BitBox declares its mDNS) does not hold the
      // neighbour's LLMNR, DHCPv6 or mDNS against the device; the device's own mDNS is declared.
      const engine = new PolicyEngine([resolvePack('bitbox-base')]);
      expect(engine.judgeFlow(from('fe80::99', 50001))).toMatchObject({ verdict: 'declared', rule: null, explanation: expect.stringMatching(/^Not judged/) });
      expect(engine.judgeFlow(from('fe80::99', 546))).toMatchObject({ verdict: 'declared', rule: null });
      expect(engine.judgeFlow(from('fe80::10', 5353))).toMatchObject({ verdict: 'declared', rule: expect.any(String) });
      // "SSH disabled by default (inbound 22 is flagged)", whatever address the session used.
      expect(engine.judgeFlow(ssh)).toMatchObject({ verdict: 'undeclared', reasons: ['explicitly-disabled'] });
    });

    test('without MACs (raw IP), or before any frame from a --device address, a link-local sender is still taken as the device', () => {
      const raw = new Scenario().udp(0, 'fe80::99', 5353, 'ff02::fb', 5353, dnsMessage(0, false, 'printer.local', DNS_A));
      expect(raw.run([DEV]).flows[0].foreign).toBeUndefined();
      const early = new Scenario().ethernet(macs).udp(0, 'fe80::99', 50001, 'ff02::1:3', 5355, dnsMessage(0x77, false, 'fileserver', DNS_A));
      lookup(early, 10, 40100, 'api.nebra.com', []);
      const r = early.run([DEV]);
      expect(r.dns.find((d) => d.qname === 'fileserver')?.foreign).toBeUndefined();
    });

    test('on a Linux cooked capture (tcpdump -i any on the device) the packet type stands in for the destination MAC: the SSH session to the device is inbound, a neighbour\'s multicast foreign, and the device\'s second interface its own', () => {
      const second = '02:bb:0b:a5:e0:11';
      const s = lookup(new Scenario().cooked({ ...macs, 'fe80::11': second }, [DEV_MAC, second]), 0, 40100, 'api.nebra.com', [])
        .udp(10, 'fe80::11', 5353, 'ff02::fb', 5353, dnsMessage(0, false, 'base.local', DNS_A)) // sent by the host, from its other MAC
        .udp(20, 'fe80::99', 5353, 'ff02::fb', 5353, dnsMessage(0, false, 'printer.local', DNS_A))
        .tcp(60, 'fe80::99', 50022, 'fe80::10', 22, new TextEncoder().encode('SSH-2.0-OpenSSH_9.2\r\n'));
      const r = s.run([DEV]);
      expect(r.flows.find((f) => f.proto === 'tcp')).toMatchObject({ direction: 'inbound', device_ip: 'fe80::10', device_port: 22 });
      expect(r.flows.find((f) => f.proto === 'tcp')?.foreign).toBeUndefined();
      expect(r.dns.find((d) => d.qname === 'base.local')?.foreign).toBeUndefined();
      expect(r.dns.find((d) => d.qname === 'printer.local')?.foreign).toBe(true);
      expect(r.summary.device_ips).toEqual(expect.arrayContaining(['fe80::11', 'fe80::10']));
      expect(r.summary.device_ips).not.toContain('fe80::99');
    });

    test('decided at the flow\'s first frame: a neighbour\'s lookup before anything is known stays the device\'s in its flow and its DNS record alike', () => {
      const s = new Scenario().ethernet(macs)
        .udp(0, 'fe80::99', 50001, 'ff02::1:3', 5355, dnsMessage(0x77, false, 'fileserver', DNS_A));
      lookup(s, 10, 40100, 'api.nebra.com', []);
      s.udp(20, 'fe80::99', 50001, 'ff02::1:3', 5355, dnsMessage(0x78, false, 'fileserver', DNS_A)); // the same flow, once the MAC is known
      const r = s.run([DEV]);
      const flow = r.flows.find((f) => f.remote_port === 5355 || f.device_port === 5355)!;
      expect(flow.foreign).toBeUndefined();
      expect(r.dns.filter((d) => d.qname === 'fileserver').map((d) => d.foreign)).toEqual([undefined, undefined]);
    });

    // A neighbour asks the device's LLMNR or mDNS responder at its link-local address by unicast
    // (dig -p 5355 @fe80::...%eth0, RFC 4795 §2 / RFC 6762 §5.5), and the device answers from
    // 5355 / 5353 to the neighbour's ephemeral port: the neighbour's query into the device's
    // service, judged on the device's port, in its flow and its DNS record alike.
    describe('a neighbour\'s unicast LLMNR or mDNS query to the device\'s link-local address is inbound to the device\'s port', () => {
      const ask = (s: Scenario, ms: number, peer: string, dev: string, port: number, qname: string, answer: string, withQuery: boolean): Scenario => {
        if (withQuery) s.udp(ms, peer, 50001, dev, port, dnsMessage(0x5a, false, qname, DNS_A));
        return s.udp(ms + 1, dev, port, peer, 50001, dnsMessage(0x5a, true, qname, DNS_A, [{ name: qname, type: DNS_A, ttl: 30, data: answer }]));
      };
      test.each([
        ['LLMNR, query captured first', 'fe80::99', 'fe80::10', 5355, 'base', true, 'inbound-not-documented'],
        ['LLMNR, only the answer captured', 'fe80::99', 'fe80::10', 5355, 'base', false, 'inbound-not-documented'],
        ['LLMNR over 169.254/16, only the answer captured', '169.254.7.9', '169.254.7.10', 5355, 'base', false, 'inbound-not-documented'],
        ['mDNS, query captured first', 'fe80::99', 'fe80::10', 5353, 'base.local', true, null],
        ['mDNS, only the answer captured', '169.254.7.9', '169.254.7.10', 5353, 'base.local', false, null],
      ])('%s', (_what, peer, dev, port, qname, withQuery, reason) => {
        const s = ask(lookup(new Scenario().ethernet({ ...macs, '169.254.7.10': DEV_MAC }), 0, 40100, 'api.nebra.com', []), 10, peer, dev, port, qname, DEV, withQuery);
        const r = s.run([DEV]);
        const flow = r.flows.find((f) => f.device_port === port || f.remote_port === port)!;
        expect(flow).toMatchObject({ direction: 'inbound', device_ip: dev, device_port: port, remote_ip: peer, remote_port: 50001 });
        expect(flow.foreign).toBeUndefined();
        const d = r.dns.find((x) => x.qname === qname)!;
        expect(d).toMatchObject({ direction: 'inbound', client_ip: peer, server_ip: dev, server_port: port });
        const engine = new PolicyEngine([resolvePack('bitbox-base')]);
        // BitBox documents inbound mDNS (udp 5353) and no inbound LLMNR: the flow and its query say the same.
        const expected = reason === null ? { verdict: 'declared', rule: 'bitbox-lan-in' } : { verdict: 'undeclared', reasons: [reason] };
        expect(engine.judgeFlow(flow)).toMatchObject(expected);
        expect(engine.judgeDns(d)).toMatchObject(expected);
        // Nebra has no local rules, but a query into the device's responder is a listening service it does not document.
        const nebra = new PolicyEngine([resolvePack('nebra-hotspot')]);
        expect(nebra.judgeFlow(flow)).toMatchObject({ verdict: 'undeclared', reasons: ['inbound-not-documented'] });
        expect(nebra.judgeDns(d)).toMatchObject({ verdict: 'undeclared', reasons: ['inbound-not-documented'] });
      });

      test('with the device\'s link-local address among --device (no MAC needed), the same', () => {
        const r = ask(new Scenario(), 0, 'fe80::99', 'fe80::10', 5355, 'base', DEV, false).run([DEV, 'fe80::10']);
        expect(r.flows[0]).toMatchObject({ direction: 'inbound', device_ip: 'fe80::10', device_port: 5355, remote_port: 50001 });
        expect(new PolicyEngine([resolvePack('bitbox-base')]).judgeFlow(r.flows[0])).toMatchObject({ verdict: 'undeclared', reasons: ['inbound-not-documented'] });
      });

      test('the device\'s own unicast query to a neighbour\'s link-local address stays local', () => {
        const s = lookup(new Scenario().ethernet(macs), 0, 40100, 'api.nebra.com', [])
          .udp(10, 'fe80::10', 50002, 'fe80::99', 5355, dnsMessage(0x5b, false, 'printer', DNS_A));
        const flow = s.run([DEV]).flows.find((f) => f.remote_port === 5355)!;
        expect(flow).toMatchObject({ direction: 'local', device_ip: 'fe80::10', remote_ip: 'fe80::99' });
      });
    });

    // A neighbour with a global address reaches the device at its 169.254/16 address (a route to
    // 169.254.0.0/16 on the link, as avahi-autoipd and NetworkManager add): the frames go to the
    // device's MAC, so it is the device's inbound traffic, judged, not another host's.
    test('a neighbour reaching the device\'s 169.254/16 address from its global address: inbound to the device when its frames go to the device\'s MAC; foreign when they go to another host', () => {
      const PEER_MAC = '02:aa:00:00:00:20';
      const s = lookup(new Scenario().ethernet({ ...macs, '169.254.7.10': DEV_MAC, [PEER]: PEER_MAC }), 0, 40100, 'api.nebra.com', [])
        .tcp(10, PEER, 50022, '169.254.7.10', 22, new TextEncoder().encode('SSH-2.0-OpenSSH_9.2\r\n'))
        .udp(30, PEER, 50001, '169.254.7.10', 5355, dnsMessage(0x5c, false, 'base', DNS_A))
        .udp(31, '169.254.7.10', 5355, PEER, 50001, dnsMessage(0x5c, true, 'base', DNS_A, [{ name: 'base', type: DNS_A, ttl: 30, data: DEV }]))
        .tcp(40, PEER, 50023, '169.254.7.9', 22, new TextEncoder().encode('SSH-2.0-OpenSSH_9.2\r\n')); // another host's 169.254 address
      const r = s.run([DEV]);
      const ssh = r.flows.find((f) => f.proto === 'tcp' && (f.device_ip === '169.254.7.10' || f.remote_ip === '169.254.7.10'))!;
      expect(ssh).toMatchObject({ direction: 'inbound', device_ip: '169.254.7.10', device_port: 22, remote_ip: PEER, app: 'ssh' });
      expect(ssh.foreign).toBeUndefined();
      const llmnr = r.flows.find((f) => f.proto === 'udp' && (f.device_port === 5355 || f.remote_port === 5355))!;
      expect(llmnr).toMatchObject({ direction: 'inbound', device_ip: '169.254.7.10', device_port: 5355 });
      expect(llmnr.foreign).toBeUndefined();
      const d = r.dns.find((x) => x.qname === 'base')!;
      expect(d).toMatchObject({ direction: 'inbound', server_ip: '169.254.7.10' });
      expect(d.foreign).toBeUndefined();
      expect(r.flows.find((f) => f.device_ip === '169.254.7.9' || f.remote_ip === '169.254.7.9')!.foreign).toBe(true);
      expect(r.summary.device_ips).toContain('169.254.7.10');
      expect(r.summary.device_ips).not.toContain('169.254.7.9');
      const engine = new PolicyEngine([resolvePack('bitbox-base')]);
      expect(engine.judgeFlow(ssh)).toMatchObject({ verdict: 'undeclared', rule: 'bitbox-ssh-disabled', reasons: ['explicitly-disabled'] });
      expect(engine.judgeDns(d)).toMatchObject({ verdict: 'undeclared', reasons: ['inbound-not-documented'] });
    });

    test('the device\'s ARP announcement (or its ICMP from a --device address) teaches its MAC before its first flow', () => {
      const s = new Scenario().ethernet(macs).arp(0, DEV, DEV_MAC)
        .udp(5, 'fe80::99', 50001, 'ff02::1:3', 5355, dnsMessage(0x77, false, 'fileserver', DNS_A));
      const r = s.run([DEV]);
      expect(r.dns.find((d) => d.qname === 'fileserver')?.foreign).toBe(true);
      expect(r.flows.find((f) => f.device_port === 50001 || f.remote_port === 5355)?.foreign).toBe(true);
      const ping = new Scenario().ethernet(macs).at(0, ipv4({ src: DEV, dst: RESOLVER, proto: 1 }, Uint8Array.of(8, 0, 0, 0, 0, 1, 0, 1)))
        .udp(5, 'fe80::99', 50001, 'ff02::1:3', 5355, dnsMessage(0x77, false, 'fileserver', DNS_A));
      expect(ping.run([DEV]).dns.find((d) => d.qname === 'fileserver')?.foreign).toBe(true);
      // Another host's ARP teaches nothing: the neighbour's lookup stays the device's (no MAC known).
      const other = new Scenario().ethernet(macs).arp(0, '192.0.2.99', NEIGHBOUR_MAC)
        .udp(5, 'fe80::99', 50001, 'ff02::1:3', 5355, dnsMessage(0x77, false, 'fileserver', DNS_A));
      expect(other.run([DEV]).dns.find((d) => d.qname === 'fileserver')?.foreign).toBeUndefined();
    });
  });

  test('a query another host sends to the device is inbound: judged as traffic to the device\'s port 53, not as the device\'s lookup', () => {
    const s = new Scenario()
      .udp(0, PEER, 40300, DEV, 53, dnsMessage(0x41, false, 'api.nebra.com', DNS_A))
      .udp(1, DEV, 53, PEER, 40300, dnsMessage(0x41, true, 'api.nebra.com', DNS_A, [{ name: 'api.nebra.com', type: DNS_A, ttl: 60, data: '203.0.113.9' }]));
    const r = s.run([DEV]);
    const d = r.dns[0];
    expect(d).toMatchObject({ client_ip: PEER, server_ip: DEV, direction: 'inbound' });
    expect(d.foreign).toBeUndefined();
    const v = new PolicyEngine([resolvePack('nebra-hotspot')]).judgeDns(d);
    expect(v).toMatchObject({ verdict: 'undeclared', reasons: ['inbound-not-documented'] });
  });
});

test('an SSDP search response unicast from port 1900 to the port the device searched from is the reply to its M-SEARCH: local, reply_to the search flow', () => {
  const PEER = '192.0.2.20';
  const s = new Scenario()
    .udp(0, DEV, 59729, '239.255.255.250', 1900, Buffer.from('M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n'))
    .udp(5, PEER, 1900, DEV, 59729, Buffer.from('HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\nLOCATION: http://192.0.2.20:8080/desc.xml\r\n\r\n'))
    .udp(6, PEER, 1900, DEV, 59730, Buffer.from('HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\n\r\n')); // no search from 59730
  const flows = s.run([DEV]).flows;
  const search = flows.find((f) => f.remote_ip === '239.255.255.250')!;
  expect(flows.find((f) => f.device_port === 59729 && f.remote_ip === PEER)).toMatchObject({ direction: 'local', app: 'ssdp', remote_port: 1900, reply_to: search.id, reply_group: '239.255.255.250' });
  expect(flows.find((f) => f.device_port === 59730)).toMatchObject({ app: 'ssdp', remote_port: 1900 });
  expect(flows.find((f) => f.device_port === 59730)!.reply_to).toBeUndefined();
});

test('a resolver on the device asking for a CNAME\'s target: that lookup continues the name asked (cname_of), is judged as it, and its answer names flows by it', () => {
  const s = lookup(new Scenario(), 0, 40400, 'cdn.nebra.com', [{ name: 'cdn.nebra.com', type: DNS_CNAME, ttl: 300, data: 'd111.cloudfront.example.net' }]);
  lookup(s, 5, 40401, 'd111.cloudfront.example.net', [{ name: 'd111.cloudfront.example.net', type: DNS_A, ttl: 60, data: '203.0.113.80' }])
    .tcp(20, DEV, 50400, '203.0.113.80', 443, records(clientHelloMessage({ ciphers: [0xc02f], extensions: [] })));
  lookup(s, 30, 40402, 'unrelated.example.net', [{ name: 'unrelated.example.net', type: DNS_A, ttl: 60, data: '203.0.113.81' }]);
  const r = s.run([DEV]);
  const target = r.dns.find((d) => d.qname === 'd111.cloudfront.example.net')!;
  expect(target.cname_of).toBe('cdn.nebra.com');
  expect(r.dns.find((d) => d.qname === 'unrelated.example.net')!.cname_of).toBeUndefined();
  expect(flowTo(r.flows, '203.0.113.80').names).toEqual([{ name: 'cdn.nebra.com', source: 'dns-answer' }]);
  const engine = new PolicyEngine([resolvePack('nebra-hotspot')]);
  expect(engine.judgeDns(target)).toMatchObject({ verdict: 'declared', rule: 'nebra-dns' });
  expect(engine.judgeDns(r.dns.find((d) => d.qname === 'unrelated.example.net')!)).toMatchObject({ verdict: 'undeclared' });
});
