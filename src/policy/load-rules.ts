/**
 * Rule file text → `RulePack`: size cap, a nesting pre-scan, YAML `parseDocument` (positions via
 * LineCounter), alias cap, zod validation, then compilation of ports, host patterns and switch
 * conditions. Every problem becomes one `RulesInvalidError` naming file:line:column.
 *
 * Must never run unbounded on hostile input: size is capped before parsing, nesting depth is
 * measured on the iterative CST before the (recursive) composer runs, and alias expansion is
 * capped. Never returns a half-valid pack.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LineCounter, Parser, isMap, isNode, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { RulesInvalidError } from '../errors';
import { AddressSet, type CidrLiteral, looksLikeAddress, parseCidrLiteral } from './address-set';
import { DomainTrie, type DomainPattern, parseDomainPattern } from './domain-matcher';
import { PortSet, type PortRange, parsePortEntry } from './port-set';
import {
  RULE_FILE_VERSION,
  RuleFileSchema,
  type CompiledRule,
  type PackSwitch,
  type RuleFileInput,
  type RuleKind,
  type RulePack,
  type SourceLocation,
} from './rule-file';

/** Rule files are hand-written and a few KiB; 1 MiB leaves room while bounding parse time and memory. */
export const MAX_RULE_FILE_BYTES = 1024 * 1024;
/** The schema nests 6 levels; 32 is generous and keeps the recursive composer far from the stack limit. */
export const MAX_RULE_FILE_DEPTH = 32;
/** Aliases are useful for shared host lists; 64 resolutions cannot blow up ("billion laughs"). */
export const MAX_ALIAS_COUNT = 64;

type Path = readonly (string | number)[];

/**
 * Reads and loads one rule file; throws `RulesInvalidError` (EA_RULES_INVALID) on any problem.
 * `label` is how the file is named in messages and rule locations (default: `file`).
 */
export function loadPackFile(file: string, label: string = file): RulePack {
  let size: number;
  let regular: boolean;
  try {
    const st = fs.statSync(file);
    size = st.size;
    regular = st.isFile();
  } catch (e) {
    throw new RulesInvalidError(label, 1, 1, `cannot read rule file: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'check the path');
  }
  // A device (/dev/zero never ends) or a FIFO (blocks until a writer comes) has no size to check.
  if (!regular) throw new RulesInvalidError(label, 1, 1, 'rule file is not a regular file', 'pass the path of a YAML file');
  if (size > MAX_RULE_FILE_BYTES) throw new RulesInvalidError(label, 1, 1, `rule file is ${size} bytes; the limit is ${MAX_RULE_FILE_BYTES}`);
  return loadPackText(fs.readFileSync(file, 'utf8'), label);
}

/**
 * Loads rule-file text; `file` names it in messages and becomes the pack name (base name
 * without extension). Throws `RulesInvalidError` on the first problem found.
 */
export function loadPackText(text: string, file: string): RulePack {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_RULE_FILE_BYTES) throw new RulesInvalidError(file, 1, 1, `rule file is ${bytes} bytes; the limit is ${MAX_RULE_FILE_BYTES}`);
  const lc = new LineCounter();
  const at = (offset: number): [number, number] => {
    const p = lc.linePos(Math.max(0, offset));
    return [p.line, p.col];
  };
  const fail = (offset: number, msg: string): never => {
    const [line, col] = at(offset);
    throw new RulesInvalidError(file, line, col, msg);
  };

  const deepAt = findTooDeep(text);
  if (deepAt !== null) {
    // The LineCounter is filled by parseDocument, which must not run on this input.
    const before = text.slice(0, deepAt);
    const line = before.split('\n').length;
    throw new RulesInvalidError(file, line, deepAt - before.lastIndexOf('\n'), `nesting deeper than ${MAX_RULE_FILE_DEPTH} levels`);
  }

  // logLevel 'error': yaml must not print process warnings of its own (a collection used as a
  // key made it print one before our error line); problems are reported here, located.
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    fail(e.pos[0], `invalid YAML: ${firstLine(e.message)}`);
  }
  // A mapping or list used as a key (`? [a, b]`) has no place in a rule file; converted, it
  // would become the text of the collection and hide the real mistake behind a later one.
  let collectionKey: YamlNode | null = null;
  visit(doc, {
    Pair(_, pair) {
      if (isMap(pair.key) || isSeq(pair.key)) {
        collectionKey = pair.key as YamlNode;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (collectionKey !== null) fail((collectionKey as YamlNode).range?.[0] ?? 0, 'a key must be a plain value, not a mapping or a list');
  if (doc.contents === null || (isScalar(doc.contents) && (doc.contents.value === null || doc.contents.value === ''))) {
    fail(0, 'rule file is empty; it needs at least `version: 1`, `device:` and `document:`');
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    fail(0, `invalid YAML: ${firstLine(e instanceof Error ? e.message : String(e))} (at most ${MAX_ALIAS_COUNT} alias expansions)`);
  }
  const locate = (p: Path): SourceLocation => {
    const [line, column] = at(offsetOf(doc, p));
    return { file, line, column };
  };
  const failAt = (p: Path, msg: string): never => {
    const l = locate(p);
    throw new RulesInvalidError(file, l.line, l.column, msg);
  };

  if (typeof data !== 'object' || data === null || Array.isArray(data)) failAt([], 'a rule file is a mapping with version, device, document and rules');
  const version = (data as Record<string, unknown>).version;
  if (version === undefined) failAt([], 'missing `version: 1`');
  if (version !== RULE_FILE_VERSION) failAt(['version'], `unsupported rule-file version ${JSON.stringify(version)}; this egress-audit reads version ${RULE_FILE_VERSION}`);

  const parsed = RuleFileSchema.safeParse(data);
  if (!parsed.success) {
    // A misspelled key (`port:`) is the cause of the required key it leaves missing (`ports`):
    // it is reported first, with the key it was probably meant to be.
    const issues = parsed.error.issues;
    const issue = issues.find((i) => i.code === 'unrecognized_keys') ?? issues[0];
    const { p, msg } = describeIssue(issue, issues);
    failAt(p, msg);
  }
  return compilePack((parsed as { data: RuleFileInput }).data, file, text, locate, failAt);
}

function firstLine(s: string): string {
  const line = s.split('\n')[0];
  return line.charAt(0).toLowerCase() + line.slice(1);
}

function pathText(p: Path): string {
  let out = '';
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : out === '' ? k : `.${k}`;
  return out || '(top level)';
}

function describeIssue(issue: z.core.$ZodIssue, all: readonly z.core.$ZodIssue[]): { p: Path; msg: string } {
  const p = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    if (key === '<<') return { p: [...p, { key } as unknown as string], msg: `YAML merge keys (<<) are not supported in ${pathText(p)}: write the keys out, or use an alias for a whole value` };
    // A required key of the same mapping that is missing, and close to this one: what was meant.
    const here = pathText(p);
    const missing = all
      .filter((i) => i.code === 'invalid_type' && i.path.length === p.length + 1 && pathText(i.path.slice(0, -1).filter((k): k is string | number => typeof k !== 'symbol')) === here)
      .map((i) => String(i.path[i.path.length - 1]))
      .find((k) => editDistance(k, key) <= 2);
    return { p: [...p, { key } as unknown as string], msg: `unknown key '${key}' in ${here}${missing !== undefined ? ` (did you mean '${missing}'?)` : ''}` };
  }
  return { p, msg: `${pathText(p)}: ${firstLine(issue.message)}` };
}

/** Levenshtein distance of two short strings (key names). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** Offset of the node at `p` (or of the key named `{key}`), falling back to the nearest parent. */
function offsetOf(doc: Document, p: Path): number {
  let node: unknown = doc.contents;
  let offset = isNode(node) && node.range ? node.range[0] : 0;
  for (const k of p) {
    if (typeof k === 'object' && k !== null && 'key' in k) {
      const want = (k as { key: string }).key;
      if (isMap(node)) {
        const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === want);
        if (pair && isNode(pair.key) && pair.key.range) return pair.key.range[0];
      }
      return offset;
    }
    let next: unknown;
    if (isMap(node)) next = node.get(k, true);
    else if (isSeq(node) && typeof k === 'number') next = node.items[k];
    else return offset;
    if (!isNode(next)) return offset;
    node = next;
    if ((next as YamlNode).range) offset = (next as YamlNode).range![0];
  }
  return offset;
}

/**
 * Measures nesting on yaml's iterative CST (the composer recurses and overflows the stack on
 * deep input); returns the offset of the first token deeper than the limit, or null.
 */
function findTooDeep(text: string): number | null {
  type Tok = { type?: string; offset?: number; items?: { key?: unknown; value?: unknown; sep?: unknown; start?: unknown }[]; value?: unknown };
  for (const top of new Parser().parse(text)) {
    const stack: [Tok, number][] = [[top as Tok, 0]];
    while (stack.length > 0) {
      const [t, d] = stack.pop() as [Tok, number];
      if (d > MAX_RULE_FILE_DEPTH) return t.offset ?? 0;
      if (t.type === 'document' && t.value) stack.push([t.value as Tok, d]);
      if (Array.isArray(t.items)) {
        for (const it of t.items) {
          if (it.key && typeof it.key === 'object') stack.push([it.key as Tok, d + 1]);
          if (it.value && typeof it.value === 'object') stack.push([it.value as Tok, d + 1]);
        }
      }
    }
  }
  return null;
}

type FailAt = (p: Path, msg: string) => never;

function compilePack(
  input: RuleFileInput,
  file: string,
  text: string,
  locate: (p: Path) => SourceLocation,
  failAt: FailAt,
): RulePack {
  const name = path.basename(file).replace(/\.(ya?ml)$/i, '');
  const switches = new Map<string, PackSwitch>();
  for (const [sw, def] of Object.entries(input.switches ?? {})) {
    const values = [...new Set(def.values)];
    if (values.length !== def.values.length) failAt(['switches', sw, 'values'], `switch '${sw}' lists a value twice`);
    if (!values.includes(def.default)) failAt(['switches', sw, 'default'], `default '${def.default}' of switch '${sw}' is not one of its values (${values.join(', ')})`);
    switches.set(sw, Object.freeze({ name: sw, values: Object.freeze(values), default: def.default, description: def.description ?? null, loc: locate(['switches', sw]) }));
  }
  const rules: CompiledRule[] = [];
  const lists: [RuleKind, RuleFileInput['egress']][] = [
    ['egress', input.egress],
    ['inbound', input.inbound],
    ['deny', input.deny],
  ];
  for (const [kind, list] of lists) {
    (list ?? []).forEach((raw, i) => rules.push(compileRule(raw as RawRule, kind, i, name, switches, locate, failAt)));
  }
  return Object.freeze({
    name,
    file,
    version: input.version,
    device: input.device,
    document: input.document,
    header: leadingComment(text),
    switches,
    transports: Object.freeze({ quic: input.transports?.quic ?? 'finding', dnsOverTcp: input.transports?.['dns-over-tcp'] ?? 'finding' }),
    ech: input.ech ?? 'finding',
    local: input.local ?? 'auto',
    rules: Object.freeze(rules),
  });
}

type RawRule = NonNullable<RuleFileInput['egress']>[number] & { direction?: 'egress' | 'inbound' | 'local' };

function compileRule(
  raw: RawRule,
  kind: RuleKind,
  index: number,
  pack: string,
  switches: ReadonlyMap<string, PackSwitch>,
  locate: (p: Path) => SourceLocation,
  failAt: FailAt,
): CompiledRule {
  const base: Path = [kind, index];
  const ranges: PortRange[] = raw.ports.map((entry, j) => {
    const r = parsePortEntry(entry);
    return typeof r === 'string' ? failAt([...base, 'ports', j], r) : r;
  });
  const domainPatterns: DomainPattern[] = [];
  const cidrs: CidrLiteral[] = [];
  const hostLocs: { text: string; loc: SourceLocation }[] = [];
  const anyHost = raw.hosts === 'any';
  if (raw.hosts !== 'any') {
    raw.hosts.forEach((h, j) => {
      const p: Path = [...base, 'hosts', j];
      if (h.trim() === 'any') failAt(p, "'any' must stand alone: write `hosts: any`");
      if (looksLikeAddress(h)) {
        const c = parseCidrLiteral(h);
        cidrs.push(typeof c === 'string' ? failAt(p, c) : c);
      } else {
        const d = parseDomainPattern(h);
        domainPatterns.push(typeof d === 'string' ? failAt(p, d) : d);
      }
      hostLocs.push({ text: h, loc: locate(p) });
    });
  }
  let resolvers: AddressSet | null = null;
  if (raw.resolvers) {
    resolvers = new AddressSet(
      raw.resolvers.map((r, j) => {
        const c = parseCidrLiteral(r);
        return typeof c === 'string' ? failAt([...base, 'resolvers', j], `resolver ${c}`) : c;
      }),
    );
  }
  const when: Record<string, string> = {};
  for (const [sw, value] of Object.entries(raw.when ?? {})) {
    const def = switches.get(sw);
    if (!def) failAt([...base, 'when', sw], `rule ${raw.id}: unknown switch '${sw}' (declare it under switches:)`);
    else if (!def.values.includes(value)) failAt([...base, 'when', sw], `rule ${raw.id}: switch '${sw}' has no value '${value}' (values: ${def.values.join(', ')})`);
    when[sw] = value;
  }
  const implied = typeof raw.source !== 'string';
  return Object.freeze({
    id: raw.id,
    pack,
    kind,
    direction: kind === 'deny' ? (raw.direction ?? 'egress') : kind,
    description: raw.description,
    source: typeof raw.source === 'string' ? raw.source : raw.source.implied,
    implied,
    proto: raw.proto,
    protos: new Set<'tcp' | 'udp'>(raw.proto === 'both' ? ['tcp', 'udp'] : [raw.proto]),
    ports: new PortSet(ranges),
    anyHost,
    domainPatterns: Object.freeze(domainPatterns),
    domains: domainPatterns.length > 0 ? DomainTrie.compile(domainPatterns) : null,
    addresses: new AddressSet(cidrs),
    app: raw.app ?? null,
    resolvers,
    when: Object.freeze(when),
    loc: locate(base),
    hostLocs: Object.freeze(hostLocs),
    portsLoc: locate([...base, 'ports']),
  });
}

/** The `#` comment lines at the top of the file, without the `# ` markers. */
function leadingComment(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t.startsWith('#')) out.push(t.replace(/^#\s?/, ''));
    else if (t === '' && out.length > 0) out.push('');
    else if (t !== '') break;
  }
  return out.join('\n').trim();
}
