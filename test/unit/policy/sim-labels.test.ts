/**
 * The policy against the ground truth of ../shared/corpus-sim: every labelled flow and DNS
 * query is turned into the record the packet engine would emit (FlowRecord / DnsRecord) and
 * judged with the fixture packs test/fixtures/sim-rules/<device>.yaml. Proves the policy
 * independently of the packet engine; replaying the pcaps end to end is a separate test.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeShared, REPO_ROOT, sharedPath } from '../../helpers/shared';
import type { DnsRecord, FlowRecord, NameSource } from '../../../src/report/records';
import { loadPackFile } from '../../../src/policy/load-rules';
import { PolicyEngine } from '../../../src/policy/evaluate';
import { isLocalScopeAddress } from '../../../src/policy/address-set';

interface LabelName { name: string; via: string }
interface LabelFlow {
  flow_id: string; proto: 'tcp' | 'udp'; app: string; direction: 'egress' | 'inbound';
  device_ip: string; device_port: number; remote_ip: string; remote_port: number;
  first_time: number; packets: number; bytes: number; names: LabelName[];
  verdict: 'declared' | 'undeclared'; doc_line: string | null; reason_code: string | null; reasons: string[];
}
interface LabelQuery {
  query_id: string; flow_id: string; transport: 'udp' | 'tcp'; time: number; device_ip: string; device_port: number;
  resolver: string; resolver_port: number; qname: string; qtype: string; dns_id: string; rcode: string | null;
  answers: string[]; verdict: 'declared' | 'undeclared'; doc_line: string | null; reason_code: string | null;
}
interface Labels { device: { id: string }; flows: LabelFlow[]; dns_queries: LabelQuery[] }

const VIA: Record<string, NameSource> = {
  sni: 'sni', quic_sni: 'quic-sni', http_host: 'http-host', dns_answer: 'dns-answer', dns_query: 'dns-query',
};

const flowNumber = (id: string) => Number(id.replace(/^\D+/, ''));

/** What the packet engine emits for a labelled flow (multicast/link-local peers are `local`). */
export function toFlowRecord(f: LabelFlow): FlowRecord {
  const names = f.names.map((n) => {
    const source = VIA[n.via];
    if (!source) throw new Error(`unknown name source '${n.via}' in ${f.flow_id}`);
    return { name: n.name, source };
  });
  const first = (s: NameSource) => names.find((n) => n.source === s)?.name ?? null;
  const queries = names.filter((n) => n.source === 'dns-query').map((n) => n.name);
  return {
    type: 'flow', id: flowNumber(f.flow_id), proto: f.proto,
    direction: isLocalScopeAddress(f.remote_ip) ? 'local' : f.direction,
    device_ip: f.device_ip, device_port: f.device_port, remote_ip: f.remote_ip, remote_port: f.remote_port,
    first_ts: f.first_time, last_ts: f.first_time, packets_out: f.packets, packets_in: 0, bytes_out: f.bytes, bytes_in: 0,
    app: f.app, sni: first('sni') ?? first('quic-sni'), alpn: null, http_host: first('http-host'),
    dns_names: f.app === 'dns' ? [...new Set(queries)] : null,
    name: names[0]?.name ?? null, name_source: names[0]?.source ?? null, names, anomalies: [],
  };
}

/** What the packet engine emits for a labelled DNS query. */
export function toDnsRecord(q: LabelQuery): DnsRecord {
  return {
    type: 'dns', ts: q.time, proto: q.transport, app: 'dns',
    client_ip: q.device_ip, client_port: q.device_port, server_ip: q.resolver, server_port: q.resolver_port,
    id: Number.parseInt(q.dns_id ?? '0', 16) || 0, qname: q.qname, qtype: q.qtype, rcode: q.rcode,
    answers: q.answers.map((a) => ({ name: q.qname, type: a.includes(':') ? 'AAAA' : 'A', data: a, ttl: 60 })),
    flow_id: flowNumber(q.flow_id),
  };
}

const CORPUS = sharedPath('corpus-sim');
const labelFiles = fs.existsSync(CORPUS) ? fs.readdirSync(CORPUS).filter((f) => f.endsWith('.labels.json')).sort() : [];

describeShared('policy vs corpus-sim labels (fixture packs)', () => {
  it('finds labelled captures', () => {
    expect(labelFiles.length).toBeGreaterThanOrEqual(3);
  });

  for (const file of labelFiles) {
    describe(file, () => {
      const labels = JSON.parse(fs.readFileSync(path.join(CORPUS, file), 'utf8')) as Labels;
      const pack = loadPackFile(path.join(REPO_ROOT, 'test/fixtures/sim-rules', `${labels.device.id}.yaml`));
      const engine = new PolicyEngine([pack]);
      const run = engine.judgeRun(labels.flows.map(toFlowRecord), labels.dns_queries.map(toDnsRecord));

      it('gives every labelled flow its verdict, rule and reason', () => {
        const wrong: string[] = [];
        labels.flows.forEach((f, i) => {
          const got = run.flows[i];
          const ok =
            got.verdict === f.verdict &&
            (f.reason_code === null || (got.reasons ?? []).includes(f.reason_code)) &&
            (f.doc_line === null || got.rule === f.doc_line);
          if (!ok) wrong.push(`${f.flow_id}: want ${f.verdict} ${f.doc_line ?? ''} ${f.reason_code ?? ''}; got ${got.verdict} ${got.rule ?? ''} [${got.reasons}] — ${got.explanation}`);
        });
        expect(wrong).toEqual([]);
      });

      it('gives every labelled DNS query its verdict, rule and reason', () => {
        const wrong: string[] = [];
        labels.dns_queries.forEach((q, i) => {
          const got = run.dns[i];
          const ok =
            got.verdict === q.verdict &&
            (q.reason_code === null || (got.reasons ?? []).includes(q.reason_code)) &&
            (q.doc_line === null || got.rule === q.doc_line);
          if (!ok) wrong.push(`${q.query_id} ${q.qname}: want ${q.verdict} ${q.doc_line ?? ''} ${q.reason_code ?? ''}; got ${got.verdict} ${got.rule ?? ''} [${got.reasons}] — ${got.explanation}`);
        });
        expect(wrong).toEqual([]);
      });

      it('explains every verdict in one sentence', () => {
        for (const r of [...run.flows, ...run.dns]) expect(r.explanation).toMatch(/^[A-Z].*[.:)a-z0-9]$/s);
      });
    });
  }
});
