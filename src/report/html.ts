/**
 * HTML renderer: the report an IT department reads and prints. One self-contained file — inline
 * CSS, charts as inline SVG, no script, no external font, image or stylesheet — that opens
 * offline and prints cleanly to PDF on A4 and Letter. Pure: model in, text out.
 *
 * Must never emit a capture-derived string unescaped: SNI, Host and DNS names can hold
 * anything, so every string goes through `escapeHtml` (after control and bidi characters are
 * made visible), and a Content-Security-Policy forbids scripts as a second line of defence.
 */
import type { AuditReport, Finding, ReportRule } from './model';
import { locationText } from './model';
import type { UnnamedReason } from './records';
import { isoTime } from './csv';
import { humanBytes } from './units';
export { humanBytes };

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Control characters and bidi overrides shown as visible escapes (a name must look like what it is). */
export function visibleText(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c === 0x7f || (c >= 0x80 && c < 0xa0)) out += `\\x${c.toString(16).padStart(2, '0')}`;
    // Every invisible format character (\p{Cf}: bidi controls, zero-width U+200B-200D, BOM) and the line/paragraph separators.
    else if (/[\p{Cf}\p{Zl}\p{Zp}]/u.test(ch)) out += c > 0xffff ? `\\u{${c.toString(16)}}` : `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** Any value as safe HTML text. */
const t = (v: string | number | null | undefined): string => (v === null || v === undefined ? '' : escapeHtml(visibleText(String(v))));


const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const when = (ts: number | null | undefined) => t(isoTime(ts).replace('T', ' ').replace(/\.\d+Z$/, 'Z'));

const CSS = `
:root{--ink:#1b1f24;--muted:#57606a;--line:#d0d7de;--bad:#b42318;--bad-bg:#fdecea;--ok:#1a7f37;--ok-bg:#e8f5ec;--accent:#0b5cad;--bar:#0b5cad;--warn:#9a6700}
*{box-sizing:border-box}
html{font:10.5pt/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);background:#fff}
body{margin:0 auto;max-width:1100px;padding:24px}
h1{font-size:19pt;margin:0 0 4px}h2{font-size:13.5pt;margin:26px 0 8px;padding-bottom:4px;border-bottom:2px solid var(--ink)}h3{font-size:11pt;margin:16px 0 6px}
p{margin:6px 0}.muted{color:var(--muted)}.small{font-size:9pt}
code,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"Liberation Mono",monospace;font-size:9pt}
table{border-collapse:collapse;width:100%;margin:6px 0 10px;font-size:9pt}
th,td{border:1px solid var(--line);padding:3px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f3f4f6;font-weight:600}td.num,th.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
thead{display:table-header-group}tr{break-inside:avoid}tr.finding{break-after:avoid}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin:14px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 10px;break-inside:avoid}
.card .v{font-size:17pt;font-weight:700;font-variant-numeric:tabular-nums}.card .k{color:var(--muted);font-size:8.5pt;text-transform:uppercase;letter-spacing:.04em}
.card.bad{border-color:var(--bad);background:var(--bad-bg)}.card.bad .v{color:var(--bad)}.card.ok{border-color:var(--ok);background:var(--ok-bg)}.card.ok .v{color:var(--ok)}
.tag{display:inline-block;border-radius:3px;padding:0 5px;font-size:8.5pt;font-weight:600;white-space:nowrap}
.tag.bad{background:var(--bad-bg);color:var(--bad)}.tag.ok{background:var(--ok-bg);color:var(--ok)}.tag.na{background:#eee;color:var(--muted)}
.chart{break-inside:avoid;margin:8px 0 14px}.chart svg{width:100%;height:auto;display:block}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;font-size:9.5pt}.meta dt{color:var(--muted)}.meta dd{margin:0;overflow-wrap:anywhere}
section{break-inside:auto}#findings-table td.dest{min-width:120px}#findings-table th,#findings-table tr.finding td:not(.dest){overflow-wrap:normal}#findings-table .tag{white-space:normal}#findings-table tr.finding td{border-bottom:none}#findings-table tr.detail td{border-top:none;color:#3d444d}td.nw{white-space:nowrap}footer{margin-top:28px;color:var(--muted);font-size:8.5pt;border-top:1px solid var(--line);padding-top:6px}
@page{margin:14mm 12mm}
@media print{html{font-size:9.5pt}body{max-width:none;padding:0}h2{break-after:avoid}.chart,.card,table.compact{break-inside:avoid}a{color:inherit;text-decoration:none}}
`;

interface Bar { label: string; value: number; note?: string; bad?: boolean }

/** A horizontal bar chart as inline SVG (labels escaped; scales to the page width). */
export function barChart(title: string, bars: readonly Bar[], id: string): string {
  if (bars.length === 0) return `<p class="muted">${t(title)}: nothing to draw.</p>`;
  const W = 760, labelW = 300, rowH = 20, top = 6;
  const max = Math.max(...bars.map((b) => b.value), 1);
  const h = top + bars.length * rowH + 6;
  const rows = bars.map((b, i) => {
    const y = top + i * rowH;
    const w = Math.max(1, Math.round(((W - labelW - 110) * b.value) / max));
    const label = b.label.length > 44 ? b.label.slice(0, 43) + '…' : b.label;
    return `<g><title>${t(b.label)}: ${t(b.note ?? String(b.value))}</title>` +
      `<text x="${labelW - 6}" y="${y + 14}" text-anchor="end" font-size="11">${t(label)}</text>` +
      `<rect x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 6}" fill="${b.bad ? '#b42318' : '#0b5cad'}"/>` +
      `<text x="${labelW + w + 5}" y="${y + 14}" font-size="11" fill="#57606a">${t(b.note ?? String(b.value))}</text></g>`;
  }).join('');
  return `<figure class="chart" id="${id}"><figcaption class="small muted">${t(title)}</figcaption>` +
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${h}" role="img" aria-label="${t(title)}" font-family="system-ui,Arial,sans-serif">${rows}</svg></figure>`;
}

/** Findings by first-seen time across the capture, as inline SVG. */
export function timelineChart(r: AuditReport): string {
  const fs = r.findings;
  const t0 = r.capture.first_ts, t1 = r.capture.last_ts;
  if (fs.length === 0 || t0 === null || t1 === null) return '<p class="muted">No findings to place on the timeline.</p>';
  const W = 760, left = 20, right = 20, axisY = 40;
  const span = Math.max(t1 - t0, 1e-6);
  const x = (ts: number) => left + ((W - left - right) * (ts - t0)) / span;
  const shown = [...fs].sort((a, b) => a.first_seen - b.first_seen).slice(0, 60);
  const dots = shown.map((f, i) => {
    const cx = x(f.first_seen).toFixed(1);
    const cy = axisY - 10 - (i % 3) * 9;
    return `<circle cx="${cx}" cy="${cy}" r="4" fill="#b42318"><title>${t(f.destination)} ${t(f.proto)}/${f.port} first seen ${when(f.first_seen)}</title></circle>`;
  }).join('');
  return `<figure class="chart" id="chart-timeline"><figcaption class="small muted">When each undeclared destination was first seen (capture time)</figcaption>` +
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} 62" role="img" aria-label="timeline of findings" font-family="system-ui,Arial,sans-serif">` +
    `<line x1="${left}" y1="${axisY}" x2="${W - right}" y2="${axisY}" stroke="#57606a"/>` +
    `<text x="${left}" y="${axisY + 16}" font-size="10" fill="#57606a">${when(t0)}</text>` +
    `<text x="${W - right}" y="${axisY + 16}" font-size="10" fill="#57606a" text-anchor="end">${when(t1)}</text>${dots}</svg></figure>`;
}

function statusTag(status: string): string {
  const cls = status === 'findings' ? 'bad' : status === 'no-findings' ? 'ok' : 'na';
  return `<span class="tag ${cls}">${t(status)}</span>`;
}

function findingRow(f: Finding, i: number): string {
  const against = f.judged_against ? locationText(f.judged_against) : '';
  // Two rows per finding: the facts, then the explanation across the table (fits A4 and Letter).
  return `<tr class="finding" data-fingerprint="${t(f.fingerprint)}"><td class="num">${i + 1}</td><td class="mono dest"><span class="name">${t(f.destination)}</span>${f.named ? '' : ' <span class="muted">(no name)</span>'}` +
    `<div class="small muted">${t(f.addresses.join(', '))}</div></td><td class="nw">${t(f.direction)}</td><td class="num">${t(f.proto)}/${f.port}</td>` +
    `<td><span class="tag bad">${t(f.reason)}</span></td><td class="num">${f.flows}</td><td class="num">${f.dns_queries}</td><td class="num" title="${f.bytes} bytes">${t(humanBytes(f.bytes))}</td>` +
    `<td class="small when">${when(f.first_seen)}<br>${when(f.last_seen)}</td></tr>` +
    `<tr class="detail"><td></td><td colspan="8" class="small">judged against <span class="mono">${t(against)}</span> · ${t(f.example.explanation)}` +
    ` <span class="muted">e.g. ${t(f.example.kind)} ${f.example.id}: ${t(f.example.device_ip)}:${f.example.device_port} → ${t(f.example.remote_ip)}:${f.example.remote_port}</span></td></tr>`;
}

function ruleRow(x: ReportRule): string {
  const state = !x.active ? '<span class="tag na">off</span>' : x.kind === 'deny' ? (x.flows + x.dns_queries > 0 ? '<span class="tag bad">matched</span>' : '<span class="tag ok">not seen</span>')
    : x.undeclared > 0 ? `<span class="tag bad">${x.undeclared} undeclared</span>` : x.flows + x.dns_queries === 0 ? '<span class="tag na">never observed</span>' : '<span class="tag ok">used</span>';
  return `<tr><td class="mono">${t(x.pack)}/${t(x.rule)}</td><td>${t(x.kind)}</td><td class="num">${t(x.proto)} ${t(x.ports)}</td><td class="mono small">${t(x.hosts)}</td>` +
    `<td class="num">${x.flows}</td><td class="num">${x.dns_queries}</td><td class="num" title="${x.bytes} bytes">${t(humanBytes(x.bytes))}</td><td>${state}</td>` +
    `<td class="mono small">${t(x.location.file)}:${x.location.line}</td></tr>`;
}

/** Renders the whole report as one HTML document. */
export function renderHtml(r: AuditReport): string {
  const title = `Network traffic audit — ${r.device.name ?? r.device.addresses.join(', ') ?? 'device'}`;
  const a = r.attribution;
  const v = r.verdicts;
  const findings = r.findings;
  const s: string[] = [];
  s.push('<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">', `<title>${t(title)}</title>`, `<style>${CSS}</style></head><body>`);
  s.push(`<header><h1>${t(title)}</h1><p class="muted">egress-audit ${t(r.tool.version)} · generated ${t(r.generated_at)}${r.reproducible ? ' (pinned: reproducible)' : ''} · capture ${when(r.capture.first_ts)} – ${when(r.capture.last_ts)}</p></header>`);

  s.push('<div class="cards">',
    `<div class="card ${findings.length > 0 ? 'bad' : v.judged ? 'ok' : ''}"><div class="k">undeclared destinations</div><div class="v" id="m-findings">${findings.length}</div></div>`,
    `<div class="card"><div class="k">flows</div><div class="v" id="m-flows">${r.flows.length}</div></div>`,
    `<div class="card"><div class="k">verdicts declared / undeclared</div><div class="v"><span id="m-declared">${v.declared}</span> / <span id="m-undeclared">${v.undeclared}</span></div></div>`,
    `<div class="card"><div class="k">egress flows named</div><div class="v" id="m-named-share">${pct(a.flow_share)}</div></div>`,
    `<div class="card"><div class="k">egress bytes named</div><div class="v" id="m-named-bytes-share">${pct(a.byte_share)}</div></div>`,
    `<div class="card"><div class="k">packets</div><div class="v" id="m-packets">${r.capture.packets}</div></div>`,
    '</div>');
  if (!v.judged) s.push('<p><strong>No rule pack was given:</strong> traffic was described but not compared with any documentation.</p>');
  if (r.capture.errors.length > 0) s.push(`<p><strong class="tag bad">incomplete</strong> ${r.capture.errors.map((e) => t(`${e.code}: ${e.message}`)).join('<br>')}</p>`);
  if (r.capture.kernel_drops && r.capture.kernel_drops.dropped + r.capture.kernel_drops.if_dropped > 0) {
    s.push(`<p><strong class="tag bad">packets dropped</strong> the capture dropped ${r.capture.kernel_drops.dropped + r.capture.kernel_drops.if_dropped} packets; this audit is incomplete.</p>`);
  }

  s.push('<section id="scope"><h2>Scope</h2><dl class="meta">',
    `<dt>Device</dt><dd>${t(r.device.name ?? '(unnamed)')}${r.device.vendor ? ` · ${t(r.device.vendor)}` : ''}${r.device.model ? ` · ${t(r.device.model)}` : ''}</dd>`,
    `<dt>Addresses</dt><dd class="mono">${t(r.device.addresses.join(', ') || 'none')} <span class="muted">(${r.device.address_source === 'flag' ? 'given with --device' : t(r.device.address_source)})</span></dd>`,
    `<dt>Tool</dt><dd>egress-audit ${t(r.tool.version)}</dd></dl>`);
  s.push('<h3>Rule packs</h3>');
  if (r.packs.length === 0) s.push('<p class="muted">None.</p>');
  else {
    s.push('<table class="compact"><thead><tr><th>pack</th><th>document</th><th>rules file</th><th>SHA-256</th><th>switches</th></tr></thead><tbody>');
    for (const p of r.packs) {
      s.push(`<tr><td class="mono">${t(p.name)}</td><td>${t(p.document.title)} <span class="muted">(${t(p.document.vendor)}, retrieved ${t(p.document.retrieved)})</span></td>` +
        `<td class="mono">${t(p.file)}</td><td class="mono small">${t(p.sha256 ?? 'unknown')}</td>` +
        `<td>${p.switches.map((x) => `${t(x.name)}=${t(x.value)}${x.set ? ' (set)' : ' (default)'}`).join('<br>') || '—'}</td></tr>`);
    }
    s.push('</tbody></table>');
  }
  s.push('<h3>Inputs</h3><table class="compact"><thead><tr><th>file</th><th>format</th><th class="num">size</th><th>SHA-256</th><th class="num">packets</th></tr></thead><tbody>');
  for (const i of r.inputs) {
    s.push(`<tr><td class="mono">${t(i.file)}</td><td>${t(i.format)}${i.compression ? ` (${t(i.compression)})` : ''} ${t(i.link_types.join(', '))}</td><td class="num">${i.size ?? ''}</td><td class="mono small">${t(i.sha256 ?? 'unknown')}</td><td class="num">${i.packets}</td></tr>`);
  }
  s.push(`</tbody></table><p class="small muted">Capture time range ${when(r.capture.first_ts)} – ${when(r.capture.last_ts)}; ${r.capture.packets} packets, ${r.capture.bytes} bytes, ${r.capture.flows} flows, ${r.capture.dns_queries} DNS queries` +
    `${r.capture.kernel_drops ? `; kernel received ${r.capture.kernel_drops.received}, dropped ${r.capture.kernel_drops.dropped}, interface dropped ${r.capture.kernel_drops.if_dropped}` : ''}.</p></section>`);

  s.push('<section id="findings"><h2>Undeclared destinations</h2>');
  if (findings.length === 0) s.push(`<p>${v.judged ? 'None: every observed flow and DNS query is declared by the rules.' : 'Not judged.'}</p>`);
  else {
    s.push(`<p>${findings.length} destination${findings.length === 1 ? '' : 's'} the documentation does not declare, largest first. Each row is one destination, port, protocol and reason; "judged against" is the rules-file line that was checked.</p>`);
    s.push(barChart('Undeclared destinations by bytes', findings.slice(0, 15).map((f) => ({ label: `${f.destination} ${f.proto}/${f.port}`, value: f.bytes, note: humanBytes(f.bytes), bad: true })), 'chart-undeclared'));
    s.push(timelineChart(r));
    s.push('<table id="findings-table"><thead><tr><th class="num">#</th><th>destination</th><th>direction</th><th class="num">port</th><th>reason</th><th class="num">flows</th><th class="num">DNS</th><th class="num">bytes</th><th>first / last seen</th></tr></thead><tbody>');
    findings.forEach((f, i) => s.push(findingRow(f, i)));
    s.push('</tbody></table>');
  }
  s.push('</section>');

  s.push('<section id="attribution"><h2>Attribution coverage</h2>',
    `<p>Of <strong>${a.egress_flows}</strong> egress flows (${t(humanBytes(a.egress_bytes))}), <strong id="m-named-flows">${a.named_flows}</strong> (${pct(a.flow_share)}) carrying ${t(humanBytes(a.named_bytes))} (${pct(a.byte_share)}) have a name. A flow without a name can only be judged by address and port.</p>`);
  if (a.unnamed.length > 0) {
    s.push('<table class="compact"><thead><tr><th>why no name</th><th class="num">flows</th><th class="num">bytes</th></tr></thead><tbody>');
    for (const u of a.unnamed) s.push(`<tr><td>${t(u.reason)} <span class="muted small">${t(unnamedText(u.reason))}</span></td><td class="num">${u.flows}</td><td class="num">${u.bytes}</td></tr>`);
    s.push('</tbody></table>');
  }
  s.push('</section>');

  s.push('<section id="rules"><h2>Traffic by rule</h2>');
  if (r.rules.length === 0) s.push('<p class="muted">No rules.</p>');
  else {
    s.push(barChart('Bytes declared by each rule', r.rules.filter((x) => x.kind !== 'deny' && x.active).map((x) => ({ label: `${x.pack}/${x.rule}`, value: x.bytes, note: `${humanBytes(x.bytes)} · ${x.flows} flows` })), 'chart-rules'));
    s.push('<table><thead><tr><th>rule</th><th>kind</th><th class="num">proto ports</th><th>hosts</th><th class="num">flows</th><th class="num">DNS</th><th class="num">bytes</th><th>state</th><th>source line</th></tr></thead><tbody>');
    for (const x of r.rules) s.push(ruleRow(x));
    s.push('</tbody></table>');
  }
  s.push('<h3 id="unobserved">Documented but never observed</h3>');
  if (r.unobserved_rules.length === 0) s.push('<p class="muted">Every active allow rule was used.</p>');
  else s.push(`<p>The documentation is wider than the traffic: ${r.unobserved_rules.length} rule${r.unobserved_rules.length === 1 ? '' : 's'} declared but not seen in this capture — ${r.unobserved_rules.map((u) => `<span class="mono">${t(u.pack)}/${t(u.rule ?? '')}</span> (${t(u.file)}:${u.line})`).join(', ')}.</p>`);
  s.push('</section>');

  s.push('<section id="controls"><h2>Control mapping</h2><table class="compact"><thead><tr><th>control</th><th>requirement</th><th>status</th><th>what this capture shows</th></tr></thead><tbody>');
  for (const c of r.controls) s.push(`<tr><td><strong>${t(c.framework)} ${t(c.requirement)}</strong><div class="small muted">${t(c.title)}</div></td><td class="small">${t(c.text)}</td><td>${statusTag(c.status)}</td><td>${t(c.statement)}</td></tr>`);
  s.push('</tbody></table></section>');

  const an = Object.entries(r.capture.anomalies);
  if (an.length > 0) s.push(`<section id="anomalies"><h2>Anomalies</h2><p class="small">${an.map(([k, n]) => `<span class="mono">${t(k)}</span> ${n}`).join(' · ')}</p></section>`);
  s.push(`<footer>Rendered from audit.json (schema ${t(r.schema)} v${r.schema_version}). Every time above is taken from the capture except the generation time. Names, hosts and addresses come from the network and are shown as text, never interpreted.</footer>`);
  s.push('</body></html>');
  return s.join('\n') + '\n';
}

/** Why an egress flow has no name, in words. */
export const UNNAMED_TEXT: Readonly<Record<UnnamedReason | 'dns-before-capture' | 'unknown', string>> = {
  'ip-literal': 'no SNI or Host, and no DNS answer for the address in the capture (an address in the firmware, or a name resolved before the capture began or over encrypted DNS)',
  'tls-no-sni': 'TLS ClientHello without a server name',
  'tls-hello-incomplete': 'the ClientHello was cut short',
  'tls-roles-reversed': 'the remote sent the ClientHello, so its server name is the remote\'s name for the device',
  'started-before-capture': 'the connection began before the capture, so its opening bytes (and any DNS answer) were not seen',
  'dns-before-capture': 'the DNS answer came before the capture began',
  'quic-version-not-decryptable': 'QUIC Initials of a version whose keys are not public, so the ClientHello could not be read',
  ech: 'Encrypted Client Hello hides the name',
  'stream-gap': 'packets missing from the stream before the name',
  inbound: 'a connection into the device',
  unknown: 'no name and no reason recorded',
};

/** The words for unnamed reason `reason` ('' for one this build does not know). */
export function unnamedText(reason: string): string {
  return Object.hasOwn(UNNAMED_TEXT, reason) ? UNNAMED_TEXT[reason as keyof typeof UNNAMED_TEXT] : '';
}
