/**
 * The package's entry point (`require('egress-audit')`, package.json `main`): the library the
 * CLI is built on — replaying captures into records, the policy stage, the record types, the
 * anomaly catalogue and the error classes. Re-exports only: it must never run anything on
 * load, and never export the CLI (src/main.ts, src/cli/).
 */
export { runAudit, buildSummary, FormatSink } from './audit';
export type { AuditOptions, AuditResult, AuditProgress, OutputFormat } from './audit';
export { Pipeline } from './pipeline';
export type { RecordSink, PipelineOptions } from './pipeline';
export * from './policy/index';
export { UNNAMED_REASONS } from './report/records';
export type {
  FlowRecord, DnsRecord, DnsAnswerRecord, SummaryRecord, InputSummary, OutputRecord, NameSource, NameCandidate, UnnamedReason,
} from './report/records';
export { ANOMALY_NAMES } from './anomalies';
export type { AnomalyName } from './anomalies';
export * from './errors';
export { VERSION } from './version';
