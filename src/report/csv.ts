/**
 * CSV renderers: `findings.csv` (one row per undeclared destination) and `flows.csv` (one row
 * per flow) from the report model, for spreadsheets. Pure: model in, text out.
 *
 * RFC 4180: CRLF line ends, fields quoted when they hold a comma, quote, CR or LF, quotes
 * doubled. Must never let a capture-derived cell start a spreadsheet formula: a cell beginning
 * with = + - @ (or tab / CR, which some spreadsheets strip first) gets a leading apostrophe
 * (OWASP "CSV injection").
 */
import type { AuditReport } from './model';
import { locationText } from './model';

/** Characters that make a spreadsheet read a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

const INVISIBLE_OR_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/u;
const INVISIBLE_OR_CONTROL_ALL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}]/gu;
const visibleEscape = (ch: string): string => {
  const c = ch.codePointAt(0)!;
  return c < 0x100 ? `\\x${c.toString(16).padStart(2, '0')}` : c > 0xffff ? `\\u{${c.toString(16)}}` : `\\u${c.toString(16).padStart(4, '0')}`;
};

/** One cell: neutralised, then quoted per RFC 4180 when needed. Numbers are written as is. */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  // Control (but TAB, CR, LF: RFC 4180 quotes those), bidi and zero-width characters shown as escapes: a CSV is also read with `cat`.
  let s = INVISIBLE_OR_CONTROL.test(value) ? value.replace(INVISIBLE_OR_CONTROL_ALL, visibleEscape) : value;
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows to CSV text (header first), CRLF line ends as RFC 4180 §2 says. */
export function csvRows(header: readonly string[], rows: readonly (readonly (string | number | boolean | null | undefined)[])[]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** Epoch seconds → ISO 8601 UTC with milliseconds (capture time; empty when unknown). */
export function isoTime(ts: number | null | undefined): string {
  return ts === null || ts === undefined ? '' : new Date(Math.round(ts * 1000)).toISOString();
}

/** `findings.csv`: one row per undeclared destination, largest first. */
export function renderFindingsCsv(r: AuditReport): string {
  const header = ['fingerprint', 'direction', 'destination', 'named', 'addresses', 'port', 'proto', 'app', 'reason', 'reasons', 'flows', 'dns_queries', 'bytes',
    'first_seen', 'last_seen', 'judged_against', 'example_flow', 'example_device', 'example_remote', 'explanation', 'controls'];
  const rows = r.findings.map((f) => [
    f.fingerprint, f.direction, f.destination, f.named, f.addresses.join(' '), f.port, f.proto, f.app, f.reason, f.reasons.join(' '), f.flows, f.dns_queries, f.bytes,
    isoTime(f.first_seen), isoTime(f.last_seen),
    f.judged_against ? locationText(f.judged_against) : '',
    `${f.example.kind} ${f.example.id}`, `${f.example.device_ip} ${f.example.device_port}`, `${f.example.remote_ip} ${f.example.remote_port}`,
    f.example.explanation, f.controls.join(' '),
  ]);
  return csvRows(header, rows);
}

/**
 * `flows.csv`: every flow with its name, how it was learned and its verdict, in capture order;
 * then the facts that tell one client from another (JA4), the names a server's certificate
 * claimed, and the process (where the capture records it). Columns are only ever appended.
 */
export function renderFlowsCsv(r: AuditReport): string {
  const header = ['id', 'first_ts', 'last_ts', 'proto', 'direction', 'device_ip', 'device_port', 'remote_ip', 'remote_port', 'app', 'name', 'name_source',
    'unnamed_reason', 'sni', 'http_host', 'packets_out', 'packets_in', 'bytes_out', 'bytes_in', 'verdict', 'pack', 'rule', 'reasons', 'explanation',
    'ja4', 'server_cert_names', 'process'];
  const rows = r.flows.map((f) => [
    f.id, isoTime(f.first_ts), isoTime(f.last_ts), f.proto, f.direction, f.device_ip, f.device_port, f.remote_ip, f.remote_port, f.app, f.name, f.name_source,
    f.unnamed_reason ?? null, f.sni, f.http_host, f.packets_out, f.packets_in, f.bytes_out, f.bytes_in, f.verdict ?? null, f.pack ?? null, f.rule ?? null,
    (f.reasons ?? []).join(' '), f.explanation ?? null,
    f.ja4 ?? null, (f.server_cert_names ?? []).join(' '), f.process ?? null,
  ]);
  return csvRows(header, rows);
}
