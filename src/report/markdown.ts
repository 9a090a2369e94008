/**
 * Markdown renderer: the report as text for a ticket, a pull request or a wiki page. Pure:
 * model in, text out.
 *
 * Must never let a capture-derived string become markup: Markdown punctuation is
 * backslash-escaped, `<` and `>` become entities (so raw HTML in a name stays text), table
 * pipes are escaped and line breaks flattened, and control characters are made visible.
 */
import type { AuditReport } from './model';
import { locationText } from './model';
import { isoTime } from './csv';
import { humanBytes, unnamedText, visibleText } from './html';

/** Escapes a string for Markdown text and table cells. */
export function escapeMarkdown(s: string): string {
  return visibleText(s)
    .replace(/[\\`*_{}[\]()#+\-.!|~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const m = (v: string | number | null | undefined) => (v === null || v === undefined ? '' : escapeMarkdown(String(v)));
const when = (ts: number | null | undefined) => isoTime(ts).replace(/\.\d+Z$/, 'Z');
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n') + '\n';
}

/** Renders the report as Markdown (GitHub-flavoured tables). */
export function renderMarkdown(r: AuditReport): string {
  const o: string[] = [];
  const v = r.verdicts;
  const a = r.attribution;
  o.push(`# Network traffic audit: ${m(r.device.name ?? r.device.addresses.join(', '))}`, '');
  o.push(`egress\\-audit ${m(r.tool.version)}, generated ${m(r.generated_at)}${r.reproducible ? ' \\(reproducible\\)' : ''}. Capture ${m(when(r.capture.first_ts))} to ${m(when(r.capture.last_ts))}.`, '');
  o.push(`- **Undeclared destinations:** ${r.findings.length}`);
  o.push(`- **Verdicts:** ${v.declared} declared, ${v.undeclared} undeclared${v.judged ? '' : ' \\(no rule pack given: nothing judged\\)'}`);
  o.push(`- **Flows:** ${r.flows.length}; **packets:** ${r.capture.packets}; **DNS queries:** ${r.capture.dns_queries}`);
  o.push(`- **Attribution coverage:** ${a.named_flows} of ${a.egress_flows} egress flows \\(${pct(a.flow_share)}\\) and ${pct(a.byte_share)} of egress bytes have a name`);
  for (const e of r.capture.errors) o.push(`- **Error:** ${m(`${e.code}: ${e.message}`)}`);
  o.push('', '## Scope', '');
  o.push(`Device: ${m(r.device.name ?? '(unnamed)')}${r.device.vendor ? `, ${m(r.device.vendor)}` : ''}; addresses ${m(r.device.addresses.join(', ') || 'none')} \\(${m(r.device.address_source)}\\).`, '');
  if (r.packs.length > 0) {
    o.push(table(['pack', 'document', 'rules file', 'SHA\\-256', 'switches'], r.packs.map((p) => [
      m(p.name), `${m(p.document.title)} \\(${m(p.document.vendor)}, retrieved ${m(p.document.retrieved)}\\)`, m(p.file), `\`${p.sha256 ?? 'unknown'}\``,
      p.switches.map((s) => `${m(s.name)}=${m(s.value)}${s.set ? ' \\(set\\)' : ''}`).join(', ') || '—',
    ])));
  }
  o.push(table(['input', 'format', 'size', 'SHA\\-256', 'packets'], r.inputs.map((i) => [m(i.file), m(`${i.format}${i.compression ? ` (${i.compression})` : ''} ${i.link_types.join(',')}`), String(i.size ?? ''), `\`${i.sha256 ?? 'unknown'}\``, String(i.packets)])));
  if (r.capture.kernel_drops) o.push(`Kernel: received ${r.capture.kernel_drops.received}, dropped ${r.capture.kernel_drops.dropped}, interface dropped ${r.capture.kernel_drops.if_dropped}.`, '');

  o.push('## Undeclared destinations', '');
  if (r.findings.length === 0) o.push(v.judged ? 'None.' : 'Not judged.', '');
  else {
    o.push(table(['destination', 'direction', 'port', 'reason', 'flows', 'DNS', 'bytes', 'first seen', 'last seen', 'judged against', 'example'], r.findings.map((f) => [
      `${m(f.destination)}${f.named ? '' : ' \\(no name\\)'}`, m(f.direction), `${m(f.proto)}/${f.port}`, m(f.reason), String(f.flows), String(f.dns_queries), String(f.bytes),
      m(when(f.first_seen)), m(when(f.last_seen)),
      f.judged_against ? m(locationText(f.judged_against)) : '',
      m(f.example.explanation),
    ])));
  }
  o.push('## Attribution coverage', '');
  o.push(`${a.named_flows} of ${a.egress_flows} egress flows \\(${pct(a.flow_share)}\\), ${m(humanBytes(a.named_bytes))} of ${m(humanBytes(a.egress_bytes))} \\(${pct(a.byte_share)}\\), have a name.`, '');
  if (a.unnamed.length > 0) o.push(table(['why no name', 'flows', 'bytes'], a.unnamed.map((u) => [`${m(u.reason)}: ${m(unnamedText(u.reason))}`, String(u.flows), String(u.bytes)])));

  o.push('## Traffic by rule', '');
  if (r.rules.length > 0) {
    o.push(table(['rule', 'kind', 'proto', 'ports', 'hosts', 'flows', 'DNS', 'bytes', 'undeclared on its ports', 'source line'], r.rules.map((x) => [
      m(`${x.pack}/${x.rule}`) + (x.active ? '' : ' \\(off\\)'), m(x.kind), m(x.proto), m(x.ports), m(x.hosts), String(x.flows), String(x.dns_queries), String(x.bytes), String(x.undeclared),
      m(`${x.location.file}:${x.location.line}`),
    ])));
  }
  o.push('### Documented but never observed', '');
  o.push(r.unobserved_rules.length === 0 ? 'Every active allow rule was used.' : r.unobserved_rules.map((u) => `- ${m(`${u.pack}/${u.rule ?? ''}`)} \\(${m(`${u.file}:${u.line}`)}\\)`).join('\n'), '');

  o.push('## Control mapping', '');
  o.push(table(['control', 'requirement', 'status', 'what this capture shows'], r.controls.map((c) => [`${m(c.framework)} ${m(c.requirement)}`, m(c.text), m(c.status), m(c.statement)])));
  return o.join('\n');
}
