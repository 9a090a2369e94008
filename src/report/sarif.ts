/**
 * SARIF 2.1.0 renderer (OASIS SARIF v2.1.0, the subset GitHub code scanning reads): one result
 * per undeclared destination, `ruleId` = its reason code, located at the rules-file line the
 * finding was judged against (the pack's first line for ports no rule documents), with
 * `partialFingerprints` from device + destination + port + reason so alerts stay the same
 * across runs. Pure: model in, text out.
 *
 * Must never exceed GitHub's upload limits (25,000 results per run, 10 MB gzipped): the
 * largest findings are kept and the run carries a note saying how many were left out.
 */
import { gzipSync } from 'node:zlib';
import { REASON_CODES, REASON_TEXT, type ReasonCode } from '../policy/reason-codes';
import type { AuditReport, Finding } from './model';

/** GitHub code scanning: at most 25,000 results per run. */
export const SARIF_MAX_RESULTS = 25_000;
/** GitHub code scanning: at most 10 MB per upload, gzipped. Kept a little under. */
export const SARIF_MAX_GZIP_BYTES = 10 * 1000 * 1000 - 64 * 1024;
/** Name of the fingerprint in partialFingerprints (versioned: the recipe must never change under it). */
export const SARIF_FINGERPRINT_KEY = 'egressAuditFinding/v1';

/** Options for tests (the limits are GitHub's). */
export interface SarifOptions {
  maxResults?: number;
  maxGzipBytes?: number;
}

/** Turns a rules-file path into a SARIF artifact URI (relative stays relative; absolute becomes file://). */
export function artifactUri(file: string): string {
  const p = file.replace(/\\/g, '/');
  const enc = p.split('/').map(encodeURIComponent).join('/');
  return p.startsWith('/') ? `file://${enc}` : enc;
}

function sarifRule(code: string, index: number, controls: AuditReport['controls']) {
  const text = (REASON_TEXT as Record<string, string>)[code] ?? 'traffic the documentation does not declare';
  return {
    id: code,
    name: code.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase()),
    shortDescription: { text: `Undeclared traffic: ${code}` },
    fullDescription: { text: `${text[0].toUpperCase()}${text.slice(1)}.` },
    help: { text: `Either document this traffic in the vendor's network access requirements (and the rule pack), or stop the device from sending it. Controls: ${controls.map((c) => `${c.framework} ${c.requirement}`).join('; ')}.` },
    defaultConfiguration: { level: 'error' as const },
    properties: { tags: ['network', 'egress', ...controls.map((c) => c.id)], index },
  };
}

function sarifResult(f: Finding, ruleIndex: number) {
  const where = f.judged_against;
  const what = `${f.direction} ${f.proto.toUpperCase()} port ${f.port} to ${f.destination}`;
  return {
    ruleId: f.reason,
    ruleIndex,
    level: 'error' as const,
    message: {
      text: `Undeclared ${what} (${f.reason}): ${f.flows} flow${f.flows === 1 ? '' : 's'}, ${f.dns_queries} DNS quer${f.dns_queries === 1 ? 'y' : 'ies'}, ${f.bytes} bytes. ${f.example.explanation}`.trim(),
    },
    locations: where
      ? [{
        physicalLocation: {
          artifactLocation: { uri: artifactUri(where.file) },
          region: { startLine: Math.max(1, where.line), startColumn: Math.max(1, where.column) },
        },
        ...(where.source ? { message: { text: `The vendor document: ${where.source}` } } : {}),
        ...(where.rule ? { logicalLocations: [{ name: where.rule, fullyQualifiedName: `${where.pack}/${where.rule}`, kind: 'object' }] } : {}),
      }]
      : [],
    partialFingerprints: { [SARIF_FINGERPRINT_KEY]: f.fingerprint },
    properties: {
      destination: f.destination, named: f.named, addresses: f.addresses, port: f.port, proto: f.proto, app: f.app, reasons: f.reasons,
      flows: f.flows, dns_queries: f.dns_queries, bytes: f.bytes, first_seen: f.first_seen, last_seen: f.last_seen,
      example: f.example, controls: f.controls, ...(where?.source ? { document_line: where.source } : {}),
    },
  };
}

/** Renders the SARIF log (2-space JSON), truncated to GitHub's limits with a note when needed. */
export function renderSarif(r: AuditReport, opts: SarifOptions = {}): string {
  const maxResults = opts.maxResults ?? SARIF_MAX_RESULTS;
  const maxGzip = opts.maxGzipBytes ?? SARIF_MAX_GZIP_BYTES;
  const used = [...new Set(r.findings.map((f) => f.reason))];
  const codes = [...REASON_CODES.filter((c) => used.includes(c)), ...used.filter((c) => !(REASON_CODES as readonly string[]).includes(c as ReasonCode)).sort()];
  const indexOf = new Map(codes.map((c, i) => [c, i]));
  // Findings are sorted largest first, so truncation keeps the most traffic.
  let keep = Math.min(r.findings.length, maxResults);
  for (;;) {
    const text = build(r, codes, indexOf, keep);
    if (keep === 0 || gzipSync(Buffer.from(text, 'utf8')).length <= maxGzip) return text;
    keep = Math.floor(keep / 2);
  }
}

function build(r: AuditReport, codes: string[], indexOf: Map<string, number>, keep: number): string {
  const total = r.findings.length;
  const notes = keep < total
    ? [{
      level: 'warning' as const,
      message: { text: `SARIF truncated to GitHub's limits: ${keep} of ${total} findings (the largest by bytes) are included; findings.csv and audit.json list all of them.` },
      descriptor: { id: 'sarif-truncated' },
    }]
    : [];
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'egress-audit',
          semanticVersion: r.tool.version,
          version: r.tool.version,
          rules: codes.map((c, i) => sarifRule(c, i, r.controls)),
        },
      },
      automationDetails: { id: `egress-audit/${r.device.key}/` },
      invocations: [{ executionSuccessful: r.capture.errors.length === 0, toolExecutionNotifications: notes }],
      results: r.findings.slice(0, keep).map((f) => sarifResult(f, indexOf.get(f.reason) ?? 0)),
      properties: {
        generated_at: r.generated_at,
        device: r.device,
        packs: r.packs.map((p) => ({ name: p.name, file: p.file, sha256: p.sha256 })),
        inputs: r.inputs.map((i) => ({ file: i.file, sha256: i.sha256 })),
        findings_total: total,
        findings_included: keep,
        truncated: keep < total,
      },
    }],
  };
  return JSON.stringify(log, null, 2) + '\n';
}
