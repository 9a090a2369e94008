/**
 * JUnit XML renderer for CI: one testsuite per rule pack, one testcase per rule (failing when
 * traffic on that rule's ports was judged undeclared against it, e.g. name-not-documented) and
 * one failing testcase per undeclared destination. Pure: model in, text out.
 *
 * Must never emit ill-formed XML: every string is escaped, and characters XML 1.0 forbids
 * (control characters, lone surrogates, U+FFFE/U+FFFF) are written as visible `\xNN` / `\uNNNN`
 * text instead of being dropped.
 */
import type { AuditReport, Finding, ReportRule } from './model';
import { locationText } from './model';

/** Unicode format characters (\p{Cf}) and line/paragraph separators. */
const INVISIBLE = /[\p{Cf}\p{Zl}\p{Zp}]/u;

/** Replaces characters XML 1.0 (§2.2 Char) does not allow, and invisible ones, with visible escapes. */
export function xmlSafeText(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { out += s[i] + s[i + 1]; i++; continue; }
    }
    const bad = (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0xd800 && c <= 0xdfff) || c === 0xfffe || c === 0xffff || (c >= 0x7f && c <= 0x9f)
      || INVISIBLE.test(s[i]); // bidi controls, zero-width characters, BOM, line separators: legal XML, but they hide or reorder a name in a CI page
    out += bad ? (c < 0x100 ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`) : s[i];
  }
  return out;
}

/** Escapes text for an XML attribute or element (after `xmlSafeText`); CR/LF/TAB kept as character references in attributes. */
export function xmlEscape(s: string, attribute = false): string {
  const t = xmlSafeText(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
  return attribute ? t.replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;') : t;
}

const attr = (name: string, v: string | number) => ` ${name}="${xmlEscape(String(v), true)}"`;

interface Case { name: string; classname: string; failure?: { type: string; message: string; body: string }; skipped?: string }

function ruleCase(pack: string, r: ReportRule, findings: readonly Finding[]): Case {
  const name = `${r.kind} rule ${r.rule} (${r.location.file}:${r.location.line}): ${r.proto} ${r.ports} ${r.hosts}`;
  const classname = `${pack}.rules`;
  if (!r.active) return { name, classname, skipped: 'switched off in this run' };
  const against = findings.filter((f) => f.judged_against?.pack === r.pack && f.judged_against.rule === r.rule);
  if (r.kind === 'deny') {
    if (r.flows + r.dns_queries === 0) return { name, classname };
    const body = against.map((f) => `${f.destination} ${f.proto}/${f.port}: ${f.flows} flows, ${f.dns_queries} DNS queries, ${f.bytes} bytes`).join('\n');
    return { name, classname, failure: { type: 'explicitly-disabled', message: `${r.flows} flows and ${r.dns_queries} DNS queries matched a deny rule`, body } };
  }
  if (r.undeclared === 0) return { name, classname };
  const body = against.map((f) => `${f.destination} ${f.proto}/${f.port} (${f.reason}): ${f.flows} flows, ${f.dns_queries} DNS queries, ${f.bytes} bytes; e.g. ${f.example.explanation}`).join('\n');
  return { name, classname, failure: { type: against[0]?.reason ?? 'undeclared', message: `${r.undeclared} flows or DNS queries on this rule's ports were judged undeclared`, body } };
}

function findingCase(pack: string, f: Finding): Case {
  return {
    name: `undeclared ${f.direction} ${f.proto}/${f.port} ${f.destination} [${f.fingerprint.slice(0, 12)}]`,
    classname: `${pack}.undeclared`,
    failure: {
      type: f.reason,
      message: `${f.reason}: ${f.flows} flows, ${f.dns_queries} DNS queries, ${f.bytes} bytes`,
      body: [
        `destination: ${f.destination}${f.named ? '' : ' (no name)'}`,
        `addresses: ${f.addresses.join(', ')}`,
        `reasons: ${f.reasons.join(', ')}`,
        `judged against: ${f.judged_against ? locationText(f.judged_against) : 'no rules'}`,
        `example: ${f.example.kind} ${f.example.id} ${f.example.device_ip}:${f.example.device_port} -> ${f.example.remote_ip}:${f.example.remote_port}`,
        f.example.explanation,
        `controls: ${f.controls.join(', ')}`,
      ].join('\n'),
    },
  };
}

function renderCase(c: Case): string {
  const open = `    <testcase${attr('name', c.name)}${attr('classname', c.classname)}${attr('time', 0)}`;
  if (c.failure) return `${open}>\n      <failure${attr('message', c.failure.message)}${attr('type', c.failure.type)}>${xmlEscape(c.failure.body)}</failure>\n    </testcase>`;
  if (c.skipped) return `${open}>\n      <skipped${attr('message', c.skipped)}/>\n    </testcase>`;
  return `${open}/>`;
}

/** Renders the JUnit XML document. */
export function renderJunit(r: AuditReport): string {
  const suites: { name: string; cases: Case[]; props: [string, string][] }[] = r.packs.map((p) => ({
    name: p.name,
    props: [['pack.file', p.file], ['pack.sha256', p.sha256 ?? ''], ...p.switches.map((s): [string, string] => [`switch.${s.name}`, s.value])],
    cases: [
      ...r.rules.filter((x) => x.pack === p.name).map((x) => ruleCase(p.name, x, r.findings)),
    ],
  }));
  if (suites.length === 0) suites.push({ name: 'egress-audit', props: [], cases: [{ name: 'rule pack', classname: 'egress-audit', skipped: 'no rule pack given (--rules): nothing was judged' }] });
  for (const f of r.findings) {
    const s = suites.find((x) => x.name === f.judged_against?.pack) ?? suites[0];
    s.cases.push(findingCase(s.name, f));
  }
  const count = (cs: Case[], k: 'failure' | 'skipped') => cs.filter((c) => c[k] !== undefined).length;
  const all = suites.flatMap((s) => s.cases);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(`<testsuites${attr('name', `egress-audit ${r.device.name ?? r.device.key}`)}${attr('tests', all.length)}${attr('failures', count(all, 'failure'))}${attr('errors', 0)}${attr('skipped', count(all, 'skipped'))}${attr('time', 0)}>`);
  for (const s of suites) {
    lines.push(`  <testsuite${attr('name', s.name)}${attr('tests', s.cases.length)}${attr('failures', count(s.cases, 'failure'))}${attr('errors', 0)}${attr('skipped', count(s.cases, 'skipped'))}${attr('time', 0)}${attr('timestamp', r.generated_at.replace(/\.\d+Z$/, ''))}>`);
    lines.push('    <properties>');
    for (const [k, v] of [['tool.version', r.tool.version], ['device', r.device.key], ...s.props]) lines.push(`      <property${attr('name', k)}${attr('value', v)}/>`);
    lines.push('    </properties>');
    for (const c of s.cases) lines.push(renderCase(c));
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}
