/**
 * Finding and describing rule packs: `--rules NAME` picks the built-in `rules/NAME.yaml`, a
 * path picks a file, and several can be combined. Also `rules list` / `rules show` data.
 * Works from the TypeScript sources (src/policy) and from the build (dist/src/policy) by
 * walking up to the package root. Must never guess: an unknown name is an error listing the
 * built-in packs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RulesNameClashError, RulesNotFoundError } from '../errors';
import { loadPackFile } from './load-rules';
import type { CompiledRule, RulePack } from './rule-file';

function findPackageRoot(start: string): string {
  let dir = start;
  for (let i = 0; i < 8; i++) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && fs.existsSync(path.join(dir, 'rules'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return path.resolve(start, '..', '..');
}

/** The built-in packs folder (`<package root>/rules`). */
export const RULES_DIR = path.join(findPackageRoot(__dirname), 'rules');

/** Names of the built-in packs, sorted (`nebra-hotspot`, ...). */
export function builtInPackNames(): string[] {
  try {
    return fs
      .readdirSync(RULES_DIR)
      .filter((f) => /\.ya?ml$/i.test(f))
      .map((f) => f.replace(/\.ya?ml$/i, ''))
      .sort();
  } catch {
    return [];
  }
}

/**
 * Resolves `--rules` text to a file: a path (contains a separator, ends in .yaml/.yml, or
 * exists) is used as is; otherwise the built-in pack of that name. Throws
 * `RulesNotFoundError` (EA_RULES_NOT_FOUND) when neither exists.
 */
export function resolvePackPath(nameOrPath: string): string {
  const looksLikePath = /[\\/]/.test(nameOrPath) || /\.ya?ml$/i.test(nameOrPath);
  if (looksLikePath || fs.existsSync(nameOrPath)) {
    if (fs.existsSync(nameOrPath) && fs.statSync(nameOrPath).isFile()) return nameOrPath;
    if (looksLikePath) throw new RulesNotFoundError(nameOrPath, builtInPackNames());
  }
  for (const ext of ['.yaml', '.yml']) {
    const p = path.join(RULES_DIR, nameOrPath + ext);
    if (/^[a-z0-9][a-z0-9._-]*$/i.test(nameOrPath) && fs.existsSync(p)) return p;
  }
  throw new RulesNotFoundError(nameOrPath, builtInPackNames());
}

/** Loads one pack by built-in name or path; throws EA_RULES_NOT_FOUND or EA_RULES_INVALID. */
export function resolvePack(nameOrPath: string): RulePack {
  const file = resolvePackPath(nameOrPath);
  // Built-in packs are named as in the repository (rules/x.yaml), not by install path.
  const builtIn = path.dirname(path.resolve(file)) === path.resolve(RULES_DIR);
  return loadPackFile(file, builtIn ? `rules/${path.basename(file)}` : file);
}

/**
 * Loads several packs in the order given (`--rules a --rules b`); rules are tried in that order.
 * Throws EA_RULES_NAME_CLASH when two share a name: verdicts, reports and the audit record name
 * a rule by its pack's name and id.
 */
export function resolvePacks(namesOrPaths: readonly string[]): RulePack[] {
  const packs = namesOrPaths.map(resolvePack);
  const seen = new Map<string, string>();
  for (const p of packs) {
    const other = seen.get(p.name);
    if (other !== undefined) throw new RulesNameClashError(p.name, [other, p.file]);
    seen.set(p.name, p.file);
  }
  return packs;
}

/** One line of `rules list`. */
export interface PackListing {
  name: string;
  file: string;
  device: string;
  document: string;
  rules: number;
  switches: string[];
}

/** The built-in packs with a one-line summary each (loads every pack; throws if one is invalid). */
export function listPacks(): PackListing[] {
  return builtInPackNames().map((name) => {
    const pack = resolvePack(name);
    return {
      name,
      file: pack.file,
      device: pack.device.name,
      document: pack.document.title,
      rules: pack.rules.length,
      switches: [...pack.switches.values()].map((s) => `${s.name}=${s.values.join('|')} (default ${s.default})`),
    };
  });
}

function hostsText(r: CompiledRule): string {
  if (r.anyHost) return 'any';
  return [...r.domainPatterns.map((d) => d.text), ...r.addresses.literals.map((a) => a.text)].join(', ');
}

/** One rule as a plain object, for `rules show` (table or JSON). */
export interface RuleDescription {
  id: string;
  kind: string;
  direction: string;
  proto: string;
  ports: string;
  hosts: string;
  app: string | null;
  resolvers: string | null;
  when: string | null;
  description: string;
  source: string;
  implied: boolean;
  location: string;
}

/** Everything `rules show PACK` prints: header comment, metadata, switches, rules. */
export interface PackDescription {
  name: string;
  file: string;
  header: string;
  device: RulePack['device'];
  document: RulePack['document'];
  switches: { name: string; values: string[]; default: string; description: string | null }[];
  transports: RulePack['transports'];
  ech: RulePack['ech'];
  local: RulePack['local'];
  rules: RuleDescription[];
}

/** Describes a pack (already loaded, or by name/path) as plain data; never prints. */
export function describePack(pack: RulePack | string): PackDescription {
  const p = typeof pack === 'string' ? resolvePack(pack) : pack;
  return {
    name: p.name,
    file: p.file,
    header: p.header,
    device: p.device,
    document: p.document,
    switches: [...p.switches.values()].map((s) => ({ name: s.name, values: [...s.values], default: s.default, description: s.description })),
    transports: p.transports,
    ech: p.ech,
    local: p.local,
    rules: p.rules.map((r) => ({
      id: r.id,
      kind: r.kind,
      direction: r.direction,
      proto: r.proto,
      ports: r.ports.toString(),
      hosts: hostsText(r),
      app: r.app,
      resolvers: r.resolvers ? r.resolvers.literals.map((l) => l.text).join(', ') : null,
      when: Object.keys(r.when).length > 0 ? Object.entries(r.when).map(([k, v]) => `${k}=${v}`).join(' ') : null,
      description: r.description,
      source: r.source,
      implied: r.implied,
      location: `${r.loc.file}:${r.loc.line}:${r.loc.column}`,
    })),
  };
}
