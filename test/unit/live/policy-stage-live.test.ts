/**
 * The policy stage's live-capture methods (src/policy-stage.ts): judgeOpen judges a snapshot
 * without counting or forwarding it, and flush(beforeTs) forwards the DNS flows and queries that
 * have settled while holding the rest — so a run of days writes DNS as it goes.
 */
import { PolicyEngine, resolvePacks } from '../../../src/policy';
import { parseFailOn, PolicyStage, type FailOn } from '../../../src/policy-stage';
import type { DnsRecord, FlowRecord } from '../../../src/report/records';

function sinkAndStage(): { flows: FlowRecord[]; dns: DnsRecord[]; stage: PolicyStage } {
  const flows: FlowRecord[] = [];
  const dns: DnsRecord[] = [];
  const engine = new PolicyEngine(resolvePacks(['nebra-hotspot']), {});
  const stage = new PolicyStage(engine, { flow: (r) => flows.push(r), dns: (r) => dns.push(r) }, parseFailOn(undefined) as FailOn, []);
  return { flows, dns, stage };
}

function flow(over: Partial<FlowRecord>): FlowRecord {
  return {
    type: 'flow', id: 1, proto: 'tcp', direction: 'egress', device_ip: '192.0.2.10', device_port: 40000, remote_ip: '198.51.100.20', remote_port: 443,
    first_ts: 100, last_ts: 101, packets_out: 1, packets_in: 1, bytes_out: 60, bytes_in: 60, app: 'tls', sni: 'x.example', alpn: null, http_host: null,
    dns_names: null, name: 'x.example', name_source: 'sni', names: [{ name: 'x.example', source: 'sni' }], anomalies: [], ...over,
  };
}

function query(id: number, ts: number, qname: string, flowId: number): DnsRecord {
  return {
    type: 'dns', ts, proto: 'udp', app: 'dns', client_ip: '192.0.2.10', client_port: 5000 + flowId, server_ip: '198.51.100.53', server_port: 53,
    id, qname, qtype: 'A', rcode: 'NOERROR', answers: [{ name: qname, type: 'A', data: '198.51.100.10', ttl: 60 }], flow_id: flowId,
  };
}

test('judgeOpen judges a snapshot but neither counts nor forwards it; DNS flows wait', () => {
  const { flows, stage } = sinkAndStage();
  const rec = stage.judgeOpen(flow({}));
  expect(rec).toMatchObject({ verdict: 'undeclared', reasons: ['name-not-documented'] });
  expect(flows).toEqual([]);
  expect(stage.verdicts()).toEqual({ declared: 0, undeclared: 0 });
  expect(stage.failed()).toBe(false);
  expect(stage.judgeOpen(flow({ dns_names: ['a.example'], app: 'dns', remote_port: 53 }))).toBeNull();
});

test('flush forwards settled DNS flows with their queries and keeps the rest', () => {
  const { flows, dns, stage } = sinkAndStage();
  stage.dns(query(1, 100, 'api.nebra.com', 10));
  stage.flow(flow({ id: 10, proto: 'udp', app: 'dns', remote_ip: '198.51.100.53', remote_port: 53, sni: null, name: 'api.nebra.com', name_source: 'dns-query', names: [], dns_names: ['api.nebra.com'], first_ts: 100, last_ts: 100.1 }));
  stage.dns(query(2, 500, 'api.nebra.com', 11)); // its flow is still open
  stage.flush(200);
  expect(dns.map((d) => d.id)).toEqual([1]);
  expect(dns[0]).toMatchObject({ verdict: 'declared', rule: 'nebra-dns' });
  expect(flows.map((f) => [f.id, f.verdict])).toEqual([[10, 'declared']]);
  stage.finish();
  expect(dns.map((d) => d.id)).toEqual([1, 2]);
});

test('a DNS flow open longer than the hold is judged with the queries flushed before it ended', () => {
  const { flows, dns, stage } = sinkAndStage();
  const dnsFlow = (id: number, names: string[]): FlowRecord => flow({ id, proto: 'udp', app: 'dns', remote_ip: '198.51.100.53', remote_port: 53, sni: null, name: names[0], name_source: 'dns-query', names: [], dns_names: names, first_ts: 100, last_ts: 1000 });
  stage.dns(query(1, 100, 'api.nebra.com', 10));
  stage.dns(query(2, 100, 'telemetry.example-tracker.com', 11));
  stage.flush(1000); // both older than the hold: judged while flows 10 and 11 are still open
  expect(dns.map((d) => [d.qname, d.verdict])).toEqual([['api.nebra.com', 'declared'], ['telemetry.example-tracker.com', 'undeclared']]);
  stage.flow(dnsFlow(10, ['api.nebra.com']));
  stage.flow(dnsFlow(11, ['telemetry.example-tracker.com']));
  stage.finish();
  expect(flows.map((f) => [f.id, f.verdict])).toEqual([[10, 'declared'], [11, 'undeclared']]);
});

test('local traffic no pack judges is counted as not judged, never as declared', () => {
  const { flows, stage } = sinkAndStage();
  // nebra-hotspot has no local rules: an mDNS announcement is not judged; a TLS flow to an unlisted name is undeclared.
  stage.flow(flow({ id: 1, proto: 'udp', direction: 'local', app: 'mdns', remote_ip: '224.0.0.251', remote_port: 5353, device_port: 5353, sni: null, name: null, name_source: null, names: [] }));
  stage.flow(flow({ id: 2 }));
  stage.finish();
  expect(flows.map((f) => [f.id, f.verdict, f.rule])).toEqual([[1, 'declared', null], [2, 'undeclared', null]]);
  expect(stage.verdicts()).toEqual({ declared: 0, undeclared: 1, not_judged: 1 });
});
