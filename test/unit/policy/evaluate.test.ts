/**
 * PolicyEngine: one test per reason code (each with the smallest flow that triggers it), then
 * switches, transports, deny rules, local traffic, and the run-level DNS rules of judgeRun.
 */
import fc from 'fast-check';
import { RulesSwitchError } from '../../../src/errors';
import { memoHashing, PolicyEngine, parseSetFlags } from '../../../src/policy/evaluate';
import { loadPackText } from '../../../src/policy/load-rules';
import { REASON_CODES } from '../../../src/policy/reason-codes';
import type { DnsRecord, FlowRecord, NameCandidate } from '../../../src/report/records';

const PACK = `version: 1
device: { name: Test device }
document: { title: Doc, vendor: V, source: doc.txt, retrieved: 2025-01-31 }
switches:
  ssh: { values: [enabled, disabled], default: disabled }
transports: { quic: finding }
egress:
  - { id: E-DNS, description: DNS, source: "l1", proto: udp, ports: [53], app: dns, resolvers: [198.51.100.53], hosts: ["*.vendor.com"] }
  - { id: E-443, description: HTTPS to the vendor, source: "l2", proto: tcp, ports: [443], app: tls, hosts: ["*.vendor.com", api.other.org] }
  - { id: E-NTP, description: NTP, source: "l3", proto: udp, ports: [123], hosts: any }
  - { id: E-IP, description: Peer, source: "l4", proto: tcp, ports: [7000], hosts: [203.0.113.0/24] }
inbound:
  - { id: I-80, description: Diagnostics, source: "l5", proto: tcp, ports: [80], hosts: any }
  - { id: I-SSH, description: SSH when enabled, source: "l6", proto: tcp, ports: [22], hosts: any, when: { ssh: enabled } }
deny:
  - { id: D-SSH, description: SSH is disabled by default, source: "l7", direction: inbound, proto: tcp, ports: [22], hosts: any, when: { ssh: disabled } }
`;
const pack = loadPackText(PACK, 'test-pack.yaml');

let nextId = 1;
function flow(over: Partial<FlowRecord> & { names?: NameCandidate[] }): FlowRecord {
  return {
    type: 'flow', id: nextId++, proto: 'tcp', direction: 'egress', device_ip: '192.0.2.10', device_port: 40000,
    remote_ip: '198.51.100.7', remote_port: 443, first_ts: 100, last_ts: 101, packets_out: 1, packets_in: 1,
    bytes_out: 1, bytes_in: 1, app: 'tls', sni: null, alpn: null, http_host: null, dns_names: null, name: null,
    name_source: null, names: [], anomalies: [], ...over,
  };
}
const sni = (name: string): NameCandidate => ({ name, source: 'sni' });
const answer = (name: string): NameCandidate => ({ name, source: 'dns-answer' });
function dns(qname: string, answers: string[] = [], over: Partial<DnsRecord> = {}): DnsRecord {
  return {
    type: 'dns', ts: 99, proto: 'udp', app: 'dns', client_ip: '192.0.2.10', client_port: 5000, server_ip: '198.51.100.53',
    server_port: 53, id: 1, qname, qtype: 'A', rcode: 'NOERROR',
    answers: answers.map((a) => ({ name: qname, type: a.includes(':') ? 'AAAA' : 'A', data: a, ttl: 60 })), ...over,
  };
}

const engine = new PolicyEngine([pack]);

describe('reason codes', () => {
  it('declares a documented flow and names the rule and line', () => {
    const v = engine.judgeFlow(flow({ names: [sni('api.vendor.com'), answer('api.vendor.com')] }));
    expect(v).toMatchObject({ verdict: 'declared', rule: 'E-443', pack: 'test-pack', reasons: [] });
    expect(v.explanation).toMatch(/^Rule E-443 \(test-pack\.yaml:9\) declares TCP port 443 to api\.vendor\.com/);
  });

  it('port-not-documented: no rule for the port', () => {
    const v = engine.judgeFlow(flow({ remote_port: 44158, app: 'tcp' }));
    expect(v).toMatchObject({ verdict: 'undeclared', rule: null, reasons: ['port-not-documented'] });
    expect(v.explanation).toMatch(/port 44158/);
  });

  it('inbound-not-documented: a connection into the device on an undocumented port', () => {
    const v = engine.judgeFlow(flow({ direction: 'inbound', device_port: 8080, remote_port: 51000, app: 'http' }));
    expect(v.reasons).toEqual(['inbound-not-documented']);
  });

  it('inbound rules look at the device port', () => {
    expect(engine.judgeFlow(flow({ direction: 'inbound', device_port: 80, remote_port: 443, app: 'http' }))).toMatchObject({ verdict: 'declared', rule: 'I-80' });
  });

  it('transport-not-documented: QUIC on UDP 443 where only TLS over TCP is documented', () => {
    const v = engine.judgeFlow(flow({ proto: 'udp', app: 'quic', names: [{ name: 'api.vendor.com', source: 'quic-sni' }] }));
    expect(v.reasons).toEqual(['transport-not-documented']);
    expect(v.explanation).toMatch(/QUIC .* over TCP only/);
  });

  it('transport-not-documented, plus the name reason, for QUIC to an undocumented name', () => {
    const v = engine.judgeFlow(flow({ proto: 'udp', app: 'quic', names: [{ name: 'tracker.example', source: 'quic-sni' }] }));
    expect(v.reasons).toEqual(['transport-not-documented', 'name-not-documented']);
  });

  it('transport-not-documented: DNS over TCP where only UDP 53 is documented', () => {
    const v = engine.judgeFlow(flow({ remote_ip: '198.51.100.53', remote_port: 53, app: 'dns', dns_names: ['a.vendor.com'], names: [{ name: 'a.vendor.com', source: 'dns-query' }] }));
    expect(v.reasons[0]).toBe('transport-not-documented');
  });

  it('explicitly-disabled: a deny rule matches, and the deny rule is named', () => {
    const v = engine.judgeFlow(flow({ direction: 'inbound', device_port: 22, remote_port: 50000, app: 'ssh' }));
    expect(v).toMatchObject({ verdict: 'undeclared', rule: 'D-SSH', reasons: ['explicitly-disabled'] });
  });

  it('explicitly-disabled over an allow of another pack: the explanation names the allow it overrode (pack, rule, file line, document line)', () => {
    const lan = loadPackText(`version: 1
device: { name: Test device }
document: { title: LAN administration, vendor: Integrator, source: lan.txt, retrieved: 2025-01-31 }
inbound:
  - { id: LAN-SSH, description: SSH from the LAN, source: "lan.txt:4 SSH (TCP 22) from the LAN is allowed", proto: tcp, ports: [22], hosts: any }
`, 'lan-admin.yaml');
    const ssh = flow({ direction: 'inbound', device_port: 22, remote_port: 50000, app: 'ssh' });
    const v = new PolicyEngine([pack, lan]).judgeFlow(ssh);
    expect(v).toMatchObject({ verdict: 'undeclared', rule: 'D-SSH', pack: 'test-pack', reasons: ['explicitly-disabled'] });
    expect(v.explanation).toBe('Rule D-SSH (test-pack.yaml:16) says this is disabled: SSH is disabled by default. '
      + 'It overrides rule LAN-SSH of pack lan-admin (lan-admin.yaml:5; document: lan.txt:4 SSH (TCP 22) from the LAN is allowed), which allows it: a deny rule wins over every allow.');
    // The order of the packs changes nothing; with no allow on the port, nothing is said to be overridden.
    expect(new PolicyEngine([lan, pack]).judgeFlow(ssh).explanation).toBe(v.explanation);
    expect(engine.judgeFlow(ssh).explanation).toBe('Rule D-SSH (test-pack.yaml:16) says this is disabled: SSH is disabled by default.');
  });

  it('name-not-documented: the port is documented, the SNI is not', () => {
    const v = engine.judgeFlow(flow({ names: [sni('api.github.com'), answer('api.github.com')] }));
    expect(v.reasons).toEqual(['name-not-documented']);
    expect(v.explanation).toMatch(/api\.github\.com is not listed/);
  });

  it('name-not-documented: a DNS-answer name alone must match', () => {
    expect(engine.judgeFlow(flow({ app: null, names: [answer('evil.example')] })).reasons).toEqual(['name-not-documented']);
    expect(engine.judgeFlow(flow({ app: null, names: [answer('evil.example'), answer('cdn.vendor.com')] })).verdict).toBe('declared');
  });

  it('name-not-documented: an IP-only rule and an address outside it', () => {
    expect(engine.judgeFlow(flow({ remote_port: 7000, remote_ip: '198.51.100.9', app: 'tcp' })).reasons).toEqual(['name-not-documented']);
    expect(engine.judgeFlow(flow({ remote_port: 7000, remote_ip: '203.0.113.9', app: 'tcp' })).rule).toBe('E-IP');
  });

  it('no-attributable-name: TLS without SNI to an IP literal', () => {
    const v = engine.judgeFlow(flow({}));
    expect(v.reasons).toEqual(['no-attributable-name']);
  });

  it('no-attributable-name: an address literal in Host or SNI is no name (curl http://203.0.113.9/)', () => {
    const http = new PolicyEngine([loadPackText(PACK.replace('egress:\n', 'egress:\n  - { id: E-80, description: Updates, source: "l8", proto: tcp, ports: [80], app: http, hosts: ["*.vendor.com"] }\n'), 'http-pack.yaml')]);
    for (const literal of ['203.0.113.9', '[2001:db8::9]']) {
      const v = http.judgeFlow(flow({ remote_port: 80, app: 'http', http_host: literal, names: [{ name: literal, source: 'http-host' }] }));
      expect(v).toMatchObject({ verdict: 'undeclared', reasons: ['no-attributable-name'] });
      // Records without `names` carry the literal in their own field: the same.
      expect(http.judgeFlow(flow({ remote_port: 80, app: 'http', http_host: literal })).reasons).toEqual(['no-attributable-name']);
    }
    expect(engine.judgeFlow(flow({ sni: '198.51.100.7', names: [sni('198.51.100.7')] })).reasons).toEqual(['no-attributable-name']);
    // With a DNS answer for its address, the flow is judged by the answered name.
    expect(engine.judgeFlow(flow({ sni: '198.51.100.7', names: [sni('198.51.100.7'), answer('api.vendor.com')] }))).toMatchObject({ verdict: 'declared', rule: 'E-443' });
  });

  it('no-attributable-name: a server name the remote sent in a reversed hello (tls_client) is not the flow\'s name', () => {
    const reversed = engine.judgeFlow(flow({ sni: 'api.vendor.com', tls_client: 'responder', unnamed_reason: 'tls-roles-reversed' }));
    expect(reversed.reasons).toEqual(['no-attributable-name']);
    // The same fact without `names` and without tls_client is the device's own SNI (records from older bundles).
    expect(engine.judgeFlow(flow({ sni: 'api.vendor.com' }))).toMatchObject({ verdict: 'declared', rule: 'E-443' });
  });

  it('name-not-documented: a request whose second Host names another server is judged by both (http.conflicting_host)', () => {
    const http = new PolicyEngine([loadPackText(PACK.replace('egress:\n', 'egress:\n  - { id: E-80, description: Updates, source: "l8", proto: tcp, ports: [80], app: http, hosts: ["*.vendor.com"] }\n'), 'http-pack.yaml')]);
    const host = (name: string): NameCandidate => ({ name, source: 'http-host' });
    const request = { app: 'http', remote_port: 80, http_host: 'api.vendor.com' };
    expect(http.judgeFlow(flow({ ...request, names: [host('api.vendor.com')] }))).toMatchObject({ verdict: 'declared', rule: 'E-80' });
    const both = http.judgeFlow(flow({ ...request, names: [host('api.vendor.com'), host('evil.example')] }));
    expect(both).toMatchObject({ verdict: 'undeclared', reasons: ['name-not-documented'] });
  });

  it('sni-dns-mismatch: the SNI is documented but the address was answered for another name', () => {
    const v = engine.judgeFlow(flow({ names: [sni('api.vendor.com'), answer('api.github.com')] }));
    expect(v.reasons).toEqual(['sni-dns-mismatch']);
    expect(v.explanation).toMatch(/answered by DNS for api\.github\.com/);
  });

  it('sni-dns-mismatch is the main reason, with name-not-documented after it, when another rule fails on the name', () => {
    const v = engine.judgeFlow(flow({ names: [sni('api.other.org'), answer('transfer.sh')] }));
    expect(v.reasons).toEqual(['sni-dns-mismatch']);
  });

  it('a name under another domain that URL parsing would cut to a documented one is undeclared', () => {
    for (const name of ['api.vendor.com/.attacker.net', 'api.vendor.com#.attacker.net', 'api.vendor.com\\092.attacker.net']) {
      expect(engine.judgeDns(dns(name))).toMatchObject({ verdict: 'undeclared', reasons: ['name-not-documented'] });
      expect(engine.judgeFlow(flow({ sni: name, names: [sni(name)] }))).toMatchObject({ verdict: 'undeclared', reasons: ['name-not-documented'] });
    }
  });

  it('protocol-mismatch: plain HTTP on the TLS port', () => {
    const v = engine.judgeFlow(flow({ app: 'http', http_host: 'api.vendor.com', names: [{ name: 'api.vendor.com', source: 'http-host' }] }));
    expect(v.reasons).toEqual(['protocol-mismatch']);
  });

  it('protocol-mismatch stays the main reason; a wrong name behind it is listed and explained after it', () => {
    const host = (n: string): NameCandidate => ({ name: n, source: 'http-host' });
    const unlisted = engine.judgeFlow(flow({ app: 'http', http_host: 'leak.example.net', names: [host('leak.example.net')] }));
    expect(unlisted.reasons).toEqual(['protocol-mismatch', 'name-not-documented']);
    expect(unlisted.explanation).toMatch(/carries http\. Port 443 is documented by rule E-443 .* leak\.example\.net is not listed\.$/);
    const answeredElsewhere = engine.judgeFlow(flow({ app: 'http', http_host: 'api.vendor.com', names: [host('api.vendor.com'), answer('leak.example.net')] }));
    expect(answeredElsewhere.reasons).toEqual(['protocol-mismatch', 'sni-dns-mismatch']);
  });

  it('no name reason behind the protocol mismatch when another rule for the port lists the name', () => {
    const two = new PolicyEngine([loadPackText(`version: 1
device: { name: Two rules }
document: { title: Doc, vendor: V, source: doc.txt, retrieved: 2025-01-31 }
egress:
  - { id: E-A, description: API, source: "l1", proto: tcp, ports: [443], app: tls, hosts: [a.vendor.com] }
  - { id: E-B, description: Updates, source: "l2", proto: tcp, ports: [443], app: tls, hosts: [b.vendor.com] }
`, 'two.yaml')]);
    const http = (host: string): FlowRecord => flow({ app: 'http', http_host: host, names: [{ name: host, source: 'http-host' }] });
    expect(two.judgeFlow(http('b.vendor.com')).reasons).toEqual(['protocol-mismatch']);
    expect(two.judgeFlow(http('c.example')).reasons).toEqual(['protocol-mismatch', 'name-not-documented']);
  });

  it('a flow without payload does not contradict the rule app', () => {
    expect(engine.judgeFlow(flow({ app: 'tcp-no-payload', names: [answer('api.vendor.com')] })).verdict).toBe('declared');
  });

  it('resolver-not-configured, then resolver-bypass: plain DNS to a server outside the rule resolvers', () => {
    expect(engine.judgeDns(dns('a.vendor.com', [], { server_ip: '203.0.113.53' })).reasons).toEqual(['resolver-not-configured', 'resolver-bypass']);
    // The DNS flow carrying it too.
    const f = engine.judgeFlow(flow({ proto: 'udp', remote_ip: '203.0.113.53', remote_port: 53, app: 'dns', dns_names: ['a.vendor.com'], names: [{ name: 'a.vendor.com', source: 'dns-query' }] }));
    expect(f).toMatchObject({ verdict: 'undeclared', reasons: ['resolver-not-configured', 'resolver-bypass'] });
  });

  it('only emits codes from REASON_CODES', () => {
    const samples = [
      flow({ remote_port: 1 }), flow({}), flow({ proto: 'udp', app: 'quic' }), flow({ direction: 'inbound', device_port: 22 }),
      flow({ app: 'http' }), flow({ names: [sni('x.y')] }),
    ];
    for (const f of samples) for (const r of engine.judgeFlow(f).reasons) expect(REASON_CODES).toContain(r);
  });
});

describe('switches', () => {
  it('--set picks the documented configuration', () => {
    const on = new PolicyEngine([pack], parseSetFlags(['ssh=enabled']));
    expect(on.judgeFlow(flow({ direction: 'inbound', device_port: 22, app: 'ssh' }))).toMatchObject({ verdict: 'declared', rule: 'I-SSH' });
    expect(on.switches.get('test-pack')?.get('ssh')).toBe('enabled');
  });

  it('rejects an unknown switch or value with EA_RULES_SWITCH', () => {
    expect(() => new PolicyEngine([pack], { tor: 'on' })).toThrow(RulesSwitchError);
    expect(() => new PolicyEngine([pack], { ssh: 'maybe' })).toThrow(/allows enabled, disabled/);
    expect(() => parseSetFlags(['ssh'])).toThrow(/name=value/);
    try {
      new PolicyEngine([pack], { tor: 'on' });
    } catch (e) {
      expect((e as RulesSwitchError).code).toBe('EA_RULES_SWITCH');
    }
  });
});

describe('transports', () => {
  it('transports.quic: allowed judges QUIC like TLS on the TCP rules', () => {
    const p = loadPackText(PACK.replace('quic: finding', 'quic: allowed'), 'quic.yaml');
    const e = new PolicyEngine([p]);
    expect(e.judgeFlow(flow({ proto: 'udp', app: 'quic', names: [{ name: 'api.vendor.com', source: 'quic-sni' }] }))).toMatchObject({ verdict: 'declared', rule: 'E-443' });
    expect(e.judgeFlow(flow({ proto: 'udp', app: 'quic', names: [{ name: 'x.example', source: 'quic-sni' }] })).reasons[0]).toBe('transport-not-documented');
  });
});

describe('local-network traffic', () => {
  const mdns = flow({ proto: 'udp', direction: 'local', app: 'mdns', device_port: 5353, remote_ip: '224.0.0.251', remote_port: 5353 });

  it('is not judged (declared, no rule) when no pack has rules for the local network', () => {
    const v = engine.judgeFlow(mdns);
    expect(v).toMatchObject({ verdict: 'declared', rule: null, reasons: [] });
    expect(v.explanation).toMatch(/not judged/);
  });

  it('is judged when a pack has local rules', () => {
    // A deny rule for local traffic also makes the pack speak about the local network.
    const p = loadPackText(`${PACK}  - { id: M, description: No LLMNR, source: l8, direction: local, proto: udp, ports: [5355], hosts: any }\n`, 'local.yaml');
    const withMdns = loadPackText(PACK.replace('inbound:', '  - { id: E-MDNS, description: mDNS, source: l9, proto: udp, ports: [5353], hosts: [224.0.0.251, "ff02::fb"] }\ninbound:'), 'mdns.yaml');
    expect(new PolicyEngine([withMdns]).judgeFlow(mdns)).toMatchObject({ verdict: 'declared', rule: 'E-MDNS' });
    expect(new PolicyEngine([withMdns]).judgeFlow({ ...mdns, remote_port: 5355, device_port: 5355 }).reasons).toEqual(['port-not-documented']);
    expect(new PolicyEngine([p]).judgeFlow({ ...mdns, remote_port: 5355, device_port: 5355 })).toMatchObject({ rule: 'M', reasons: ['explicitly-disabled'] });
  });

  it('a TCP connection between link-local addresses is judged even without local rules (multicast is never TCP); `local: ignore` still wins', () => {
    const ssh = flow({ direction: 'local', app: 'ssh', device_ip: 'fe80::10', device_port: 22, remote_ip: 'fe80::99', remote_port: 51000 });
    expect(engine.judgeFlow(ssh)).toMatchObject({ verdict: 'undeclared', reasons: ['port-not-documented'] });
    // The inbound diagnostics rule (tcp 80 on the device) covers the LAN's connection to it.
    expect(engine.judgeFlow({ ...ssh, app: 'http', device_port: 80 })).toMatchObject({ verdict: 'declared', rule: 'I-80' });
    const ignore = loadPackText(PACK.replace('transports:', 'local: ignore\ntransports:'), 'ignore.yaml');
    expect(new PolicyEngine([ignore]).judgeFlow(ssh)).toMatchObject({ verdict: 'declared', rule: null });
  });

  it('`local: judge` judges it even without local rules; `local: ignore` never', () => {
    const judge = loadPackText(PACK.replace('transports:', 'local: judge\ntransports:'), 'judge.yaml');
    expect(new PolicyEngine([judge]).judgeFlow(mdns).reasons).toEqual(['port-not-documented']);
    const ignore = loadPackText(PACK.replace('transports:', 'local: ignore\ntransports:').replace('inbound:', '  - { id: E-MDNS, description: mDNS, source: l9, proto: udp, ports: [5353], hosts: [224.0.0.251] }\ninbound:'), 'ignore.yaml');
    expect(new PolicyEngine([ignore]).judgeFlow({ ...mdns, remote_port: 9 })).toMatchObject({ verdict: 'declared', rule: null });
  });
});

describe('several packs', () => {
  it('tries packs in order and reports the pack of the declaring rule', () => {
    const other = loadPackText(PACK.replace(/\negress:[\s\S]*/, '\negress:\n  - { id: X-1, description: Extra, source: x, proto: tcp, ports: [8443], hosts: any }\n').replace(/switches:\n.*\n/, ''), 'extra.yaml');
    const e = new PolicyEngine([pack, other]);
    expect(e.judgeFlow(flow({ remote_port: 8443 }))).toMatchObject({ verdict: 'declared', rule: 'X-1', pack: 'extra' });
  });
});

describe('deny rules and SRV names (a rule-pack authoring lab)', () => {
  const BASE = `version: 1
device: { name: Baseline }
document: { title: Corporate baseline, vendor: IT, source: baseline.txt, retrieved: 2026-11-01 }
egress:
  - { id: A-ANY, description: Anything the vendor needs, source: "b1", proto: tcp, ports: ["1-65535"], hosts: any }
  - { id: A-SIP, description: The SIP service record, source: "b2", proto: udp, ports: [53], app: dns, hosts: [_sips._tcp.voip.example.com, "*.vendor.com"] }
deny:
  - { id: D-SSH, description: outbound SSH on any port is forbidden, source: "b3", direction: egress, proto: tcp, ports: ["1-65535"], app: ssh, hosts: any }
  - { id: D-TRACK, description: no trackers, source: "b4", direction: egress, proto: tcp, ports: [443], hosts: ["*.tracker.example"] }
`;
  const e = new PolicyEngine([loadPackText(BASE, 'baseline.yaml')]);

  it('a deny rule that names an app forbids that content, not a connection that carried none', () => {
    expect(e.judgeFlow(flow({ remote_port: 8883, app: null }))).toMatchObject({ verdict: 'declared', rule: 'A-ANY' });
    expect(e.judgeFlow(flow({ remote_port: 8883, app: 'tcp-no-payload' }))).toMatchObject({ verdict: 'declared', rule: 'A-ANY' });
    const ssh = e.judgeFlow(flow({ remote_port: 2222, app: 'ssh' }));
    expect(ssh).toMatchObject({ verdict: 'undeclared', rule: 'D-SSH' });
    expect(ssh.reasons?.[0]).toBe('explicitly-disabled');
  });

  it('a deny rule fires on any name that matches: a DNS answer for another host does not shield a forbidden SNI', () => {
    const v = e.judgeFlow(flow({ names: [sni('api.tracker.example'), answer('cdn.shared.example')] }));
    expect(v).toMatchObject({ verdict: 'undeclared', rule: 'D-TRACK', reasons: ['explicitly-disabled'] });
    expect(e.judgeFlow(flow({ names: [sni('api.shared.example'), answer('cdn.tracker.example')] }))).toMatchObject({ rule: 'D-TRACK' });
    expect(e.judgeFlow(flow({ names: [sni('api.shared.example')] }))).toMatchObject({ verdict: 'declared', rule: 'A-ANY' });
  });

  it('an SRV lookup is declared by a rule that lists its name as asked, as well as by one that lists the host it names', () => {
    expect(e.judgeDns(dns('_sips._tcp.voip.example.com', [], { qtype: 'SRV', server_ip: '198.51.100.53' }))).toMatchObject({ verdict: 'declared', rule: 'A-SIP' });
    expect(e.judgeDns(dns('_http._tcp.deb.vendor.com', [], { qtype: 'SRV' }))).toMatchObject({ verdict: 'declared', rule: 'A-SIP' });
    expect(e.judgeDns(dns('_xmpp._tcp.voip.example.com', [], { qtype: 'SRV' }))).toMatchObject({ verdict: 'undeclared', reasons: ['name-not-documented'] });
  });
});

/** The verdict fields of a judged record. */
const pick = (r: FlowRecord | DnsRecord) => ({ verdict: r.verdict, rule: r.rule, pack: r.pack, reasons: r.reasons, explanation: r.explanation });

describe('judgeRun', () => {
  it('declares a lookup whose answer a declared flow then contacts, and the DNS flow carrying it', () => {
    const p = loadPackText(PACK.replace('resolvers: [198.51.100.53], ', ''), 'run.yaml');
    const e = new PolicyEngine([p]);
    const dnsFlow = flow({ proto: 'udp', remote_ip: '198.51.100.53', remote_port: 53, app: 'dns', dns_names: ['pool.ntp.org'], names: [{ name: 'pool.ntp.org', source: 'dns-query' }] });
    const ntp = flow({ proto: 'udp', remote_ip: '198.51.100.100', remote_port: 123, app: 'ntp', first_ts: 105, names: [answer('pool.ntp.org')] });
    const qA = dns('pool.ntp.org', ['198.51.100.100'], { flow_id: dnsFlow.id });
    const qAAAA = dns('pool.ntp.org', [], { flow_id: dnsFlow.id, qtype: 'AAAA' });
    const lonely = dns('pastebin.com', ['198.51.100.84']);
    const run = e.judgeRun([dnsFlow, ntp], [qA, qAAAA, lonely]);
    expect(run.flows.map((f) => [f.verdict, f.rule])).toEqual([['declared', 'E-DNS'], ['declared', 'E-NTP']]);
    expect(run.dns.map((d) => [d.verdict, d.rule, d.reasons])).toEqual([
      ['declared', 'E-DNS', []],
      ['declared', 'E-DNS', []],
      ['undeclared', null, ['name-not-documented']],
    ]);
    expect(run.dns[0].explanation).toMatch(/contacted by flow \d+, declared by rule E-NTP/);
  });

  it('ties an IPv4 lookup to an IPv6 connection of the same device, but not to another host', () => {
    const p = loadPackText(PACK.replace('resolvers: [198.51.100.53], ', ''), 'run.yaml');
    const e = new PolicyEngine([p]);
    const v6 = flow({ proto: 'udp', device_ip: '2001:db8::10', remote_ip: '2001:db8:1::100', remote_port: 123, app: 'ntp', first_ts: 105 });
    const q = dns('time.example', ['2001:db8:1::100']);
    expect(e.judgeRun([v6, flow({ remote_port: 1 })], [q]).dns[0].verdict).toBe('declared');
    expect(e.judgeRun([v6], [q], { deviceIps: ['2001:db8::10'] }).dns[0].verdict).toBe('undeclared');
  });

  it('a flow declared by a rule that lists names credits no lookup of another name sharing its address ("query names must be whitelisted")', () => {
    // E-443 lists *.vendor.com: a lookup of shared.example.net answered with the same address as
    // api.vendor.com, then TLS to api.vendor.com there, leaves the shared.example.net lookup undeclared.
    const e = new PolicyEngine([loadPackText(PACK.replace('resolvers: [198.51.100.53], ', ''), 'run.yaml')]);
    const tls = flow({ remote_ip: '198.51.100.60', first_ts: 105, sni: 'api.vendor.com', names: [sni('api.vendor.com'), answer('api.vendor.com'), answer('shared.example.net')] });
    const run = e.judgeRun([tls], [dns('api.vendor.com', ['198.51.100.60']), dns('shared.example.net', ['198.51.100.60'])]);
    expect(run.flows[0]).toMatchObject({ verdict: 'declared', rule: 'E-443' });
    expect(run.dns.map((d) => [d.verdict, d.reasons])).toEqual([['declared', []], ['undeclared', ['name-not-documented']]]);
    // The same lookup served a flow of a rule that names no host (E-NTP, any host): credited.
    const ntp = flow({ proto: 'udp', remote_ip: '198.51.100.60', remote_port: 123, app: 'ntp', first_ts: 106 });
    const credited = e.judgeRun([tls, ntp], [dns('shared.example.net', ['198.51.100.60'])]).dns[0];
    expect(credited).toMatchObject({ verdict: 'declared', rule: 'E-DNS' });
    expect(credited.explanation).toMatch(/contacted by flow \d+, declared by rule E-NTP, which names no host names/);
  });

  it('credits each lookup by a connection after it within its answer\'s TTL + grace, the time the answer names flows', () => {
    const pack = loadPackText(PACK.replace('resolvers: [198.51.100.53], ', ''), 'run.yaml');
    const at = (ts: number, qtype = 'A', answers = ['198.51.100.100']) => dns('time.example', qtype === 'A' ? answers : [], { ts, qtype });
    const ntp = (ts: number) => flow({ proto: 'udp', remote_ip: '198.51.100.100', remote_port: 123, app: 'ntp', first_ts: ts });
    // TTL 60 s + the default grace 300 s: 360 s.
    // 100 (A and its empty AAAA): NTP at 105 → credited. 1000: nothing after it → not, though an
    // earlier lookup of the name was followed. 2000: NTP at 2359 → credited. 3000 (answered from
    // a cache: no addresses of its own): NTP only at 3361 → not.
    const flows = [ntp(105), flow({ proto: 'udp', remote_ip: '198.51.100.100', remote_port: 9999, app: null, first_ts: 1001 }), ntp(2359), ntp(3361)];
    const lookups = [at(100), at(100, 'AAAA'), at(1000), at(2000), at(3000, 'A', [])];
    const run = new PolicyEngine([pack]).judgeRun(flows, lookups);
    expect(run.dns.map((d) => [d.ts, d.qtype, d.verdict])).toEqual([
      [100, 'A', 'declared'], [100, 'AAAA', 'declared'], [1000, 'A', 'undeclared'], [2000, 'A', 'declared'], [3000, 'A', 'undeclared'],
    ]);
    expect(run.dns[3].explanation).toMatch(new RegExp(`contacted by flow ${flows[2].id}, declared by rule E-NTP`));
    // --dns-grace 0: the TTL alone.
    const strict = new PolicyEngine([pack], {}, 0).judgeRun([ntp(4059), ntp(5061)], [at(4000), at(5000)]);
    expect(strict.dns.map((d) => d.verdict)).toEqual(['declared', 'undeclared']);
  });

  it('does not count a flow that happened before the lookup', () => {
    const p = loadPackText(PACK.replace('resolvers: [198.51.100.53], ', ''), 'run.yaml');
    const ntp = flow({ proto: 'udp', remote_ip: '198.51.100.100', remote_port: 123, app: 'ntp', first_ts: 50 });
    expect(new PolicyEngine([p]).judgeRun([ntp], [dns('pool.ntp.org', ['198.51.100.100'])]).dns[0].verdict).toBe('undeclared');
  });

  it('contacts judged earlier credit lookups as the same flows judged in the run do, and are not returned', () => {
    const p = loadPackText(PACK.replace('resolvers: [198.51.100.53], ', ''), 'run.yaml');
    const e = new PolicyEngine([p]);
    const ntp = flow({ proto: 'udp', remote_ip: '198.51.100.100', remote_port: 123, app: 'ntp', first_ts: 105 });
    const early = flow({ proto: 'udp', remote_ip: '198.51.100.101', remote_port: 123, app: 'ntp', first_ts: 50 });
    const web = flow({ remote_ip: '203.0.113.9', remote_port: 7000, app: null, first_ts: 106 });
    const dnsFlow = flow({ proto: 'udp', remote_ip: '198.51.100.53', remote_port: 53, app: 'dns', dns_names: ['pool.ntp.org', 'peer.example'], names: [] });
    const qs = [
      dns('pool.ntp.org', ['198.51.100.100'], { flow_id: dnsFlow.id }),
      dns('peer.example', ['203.0.113.9'], { flow_id: dnsFlow.id }),
      dns('late.example', ['198.51.100.101']),
      dns('nothing.example', ['192.0.2.99']),
    ];
    const contacts = [ntp, early, web].map((f) => ({ ...f, ...e.judgeFlow(f) }));
    const whole = e.judgeRun([...contacts, dnsFlow], qs);
    const split = e.judgeRunVerdicts([dnsFlow], qs, { contacts });
    expect(split.flows).toHaveLength(1);
    expect(split.flows[0]).toEqual(pick(whole.flows[3]));
    expect(split.dns).toEqual(whole.dns.map(pick));
    expect(split.dns.map((d) => d.verdict)).toEqual(['declared', 'declared', 'undeclared', 'undeclared']);
    expect(split.flows[0]).toMatchObject({ verdict: 'declared', rule: 'E-DNS' });
  });

  it('judgeRunVerdicts gives judgeRun\'s verdict fields without copying the records', () => {
    const f = flow({ remote_port: 8080 });
    const q = dns('a.vendor.com');
    const v = engine.judgeRunVerdicts([f], [q]);
    const run = engine.judgeRun([f], [q]);
    expect(v.flows).toEqual([pick(run.flows[0])]);
    expect(v.dns).toEqual([pick(run.dns[0])]);
    expect(f.verdict).toBeUndefined();
    expect(q.verdict).toBeUndefined();
  });

  it('leaves its inputs untouched', () => {
    const f = flow({});
    engine.judgeRun([f], []);
    expect(f.verdict).toBeUndefined();
  });
});

describe('outcome memo (PolicyEngine keeps outcomes by subject)', () => {
  // Records that differ in one field the rules read at a time: direction, proto, ports (device
  // port too: inbound rules read it), app, address, names of every source, encrypted DNS, ECH.
  const variants = (): (FlowRecord | DnsRecord)[] => {
    const out: (FlowRecord | DnsRecord)[] = [];
    for (const direction of ['egress', 'inbound', 'local'] as const) {
      for (const [proto, rport, dport] of [['tcp', 443, 40000], ['tcp', 443, 40001], ['tcp', 7000, 22], ['tcp', 22, 80], ['tcp', 50000, 22], ['udp', 53, 5353], ['udp', 123, 123], ['udp', 443, 40000]] as const) {
        for (const app of ['tls', 'quic', 'dns', 'http', null]) {
          for (const remote of ['198.51.100.7', '203.0.113.9', '198.51.100.53', '224.0.0.251']) {
            for (const names of [[], [sni('api.vendor.com')], [sni('api.other.org'), answer('x.vendor.com')], [answer('cdn.vendor.com')], [{ name: 'a.vendor.com', source: 'dns-query' as const }]]) {
              out.push(flow({ direction, proto, remote_port: rport, device_port: dport, app, remote_ip: remote, names, sni: names[0]?.source === 'sni' ? names[0].name : null }));
            }
          }
        }
      }
    }
    out.push(flow({ app: 'tls', remote_port: 853, encrypted_dns: 'dot' }), flow({ app: 'tls', remote_port: 853, encrypted_dns: null }));
    // An unnamed flow with and without the server's certificate names (they are in the explanation).
    for (const certs of [undefined, ['cert-a.example'], ['cert-b.example'], ['cert-a.example', 'cert-b.example']]) out.push(flow({ app: 'tls', remote_ip: '198.51.100.99', server_cert_names: certs }));
    out.push(flow({ sni: 'cover.example', names: [sni('cover.example')], ech: true }), flow({ sni: 'cover.example', names: [sni('cover.example')], ech: false }));
    // ECH with a DNS-announced configuration: the names are the same, only the outer SNI differs (it is in the explanation).
    for (const outer of ['cover.example', 'other-cover.example']) out.push(flow({ sni: outer, names: [sni('api.vendor.com')], ech: true, ech_config: true }));
    for (const server of ['198.51.100.53', '192.0.2.1', '224.0.0.251']) {
      for (const port of [53, 5353]) for (const q of ['a.vendor.com', 'b.other.org']) out.push(dns(q, [], { server_ip: server, server_port: port, client_port: port === 5353 ? 5353 : 5000 }));
    }
    return out;
  };
  const judge = (e: PolicyEngine, r: FlowRecord | DnsRecord) => (r.type === 'flow' ? e.judgeFlow(r) : e.judgeDns(r));

  const sameAsFresh = () => {
    const all = variants();
    // What each record gets from an engine that never saw another one.
    const fresh = new Map(all.map((r) => [r, judge(new PolicyEngine([pack]), r)]));
    fc.assert(
      fc.property(fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length }), (recs) => {
        const shared = new PolicyEngine([pack]);
        for (const r of recs) expect(judge(shared, r)).toEqual(fresh.get(r));
      }),
      { numRuns: 8 },
    );
  };
  it('gives every record, in any order, what a fresh engine gives it', sameAsFresh);
  it('does so when every subject collides in the hash (the field-by-field comparison alone tells them apart)', () => {
    const real = memoHashing.hash;
    memoHashing.hash = () => 7;
    try {
      sameAsFresh();
    } finally {
      memoHashing.hash = real;
    }
  });

  it('shares one frozen outcome between equal subjects, and starts over past its bound with the same answers', () => {
    const e = new PolicyEngine([pack]);
    const a = e.judgeFlow(flow({ device_port: 40000, names: [sni('api.vendor.com')] }));
    const b = e.judgeFlow(flow({ device_port: 40001, names: [sni('api.vendor.com')] }));
    expect(b).toBe(a);
    expect(Object.isFrozen(a) && Object.isFrozen(a.reasons)).toBe(true);
    const first = flow({ remote_ip: '203.0.113.200', remote_port: 7000, app: null });
    const before = e.judgeFlow(first);
    for (let i = 0; i < 5000; i++) e.judgeFlow(flow({ remote_ip: `198.51.${100 + (i >> 8)}.${i & 255}` }));
    expect(e.judgeFlow(first)).toEqual(before);
    expect(e.judgeFlow(first)).toEqual(new PolicyEngine([pack]).judgeFlow(first));
  });
});
