/**
 * Test helper: replays capture files through the real pipeline in-process and collects every
 * record, so tests can assert on flows, DNS records and the summary without a child process.
 */
import { runAudit, AuditOptions } from '../../src/audit';
import { parseCidr } from '../../src/net/addr';
import type { DnsRecord, FlowRecord, OutputRecord, SummaryRecord } from '../../src/report/records';
import { OutputFile } from '../../src/report/output';
import { MemoryOutput } from './memory-output';

/** Everything one replay produced. */
export interface Replayed {
  flows: FlowRecord[];
  dns: DnsRecord[];
  summary: SummaryRecord;
  exitCode: number;
}


/** Replays `files` with optional `--device` values and extra audit options (`extra.pipeline` adds to the devices). */
export function replay(files: string[], devices: string[] = [], extra: Partial<AuditOptions> = {}): Replayed {
  const out = new MemoryOutput();
  const res = runAudit({
    inputs: files,
    format: 'ndjson',
    ...extra,
    // Pipeline options given in `extra` are added to the devices, not put in their place.
    pipeline: { devices: devices.map((d) => parseCidr(d)!), ...extra.pipeline },
  }, out as unknown as OutputFile);
  const recs = out.text().split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as OutputRecord);
  return {
    flows: recs.filter((r): r is FlowRecord => r.type === 'flow'),
    dns: recs.filter((r): r is DnsRecord => r.type === 'dns'),
    summary: recs.find((r): r is SummaryRecord => r.type === 'summary')!,
    exitCode: res.exitCode,
  };
}
