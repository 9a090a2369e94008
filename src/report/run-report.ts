/**
 * Builds the AuditReport for a finished run (replay or live): gathers the facts the pure model
 * builder needs — packs, switch values, SHA-256 and size of every input and rules file — and
 * picks the generation time. Reads files only; never writes. Call it with the result of
 * `runAudit(..., { keepRecords: true })` (or the live equivalent).
 */
import { parseSetFlags, resolvePacks } from '../policy';
import { inputFactsOf, packHashesOf } from './input-facts';
import { buildAuditReport, pinnedGenerationTime, type AuditReport } from './model';
import type { DnsRecord, FlowRecord, SummaryRecord } from './records';

/** What the run's caller knows. */
export interface RunReportOptions {
  /** Capture files as given (stdin "-" and live interfaces get no hash). */
  inputs: readonly string[];
  /** `--rules` values. */
  rules?: readonly string[];
  /** `--set` values. */
  set?: readonly string[];
  /** Pin the generation time (SOURCE_DATE_EPOCH, else the last packet's time). */
  reproducible?: boolean;
  version: string;
  /** The clock, for tests; ignored with `reproducible`. */
  now?: () => Date;
}

/** Builds the report model of a run from its kept records and summary. */
export function buildRunReport(run: { records?: { flows: FlowRecord[]; dns: DnsRecord[] }; summary: SummaryRecord }, opts: RunReportOptions): AuditReport {
  const rules = opts.rules ?? [];
  const packs = rules.length > 0 ? resolvePacks(rules) : [];
  return buildAuditReport({
    flows: run.records?.flows ?? [],
    dns: run.records?.dns ?? [],
    summary: run.summary,
    packs,
    switches: parseSetFlags(opts.set ?? []),
    packHashes: packHashesOf(rules),
    inputFacts: inputFactsOf(opts.inputs),
    version: opts.version,
    generatedAt: opts.reproducible ? pinnedGenerationTime(run.summary, process.env.SOURCE_DATE_EPOCH) : (opts.now ?? (() => new Date()))().toISOString(),
    reproducible: opts.reproducible === true,
  });
}
