/**
 * The policy stage as a library: load rule packs, judge flow and DNS records, lint packs.
 * The CLI (`--rules`, `--set`, `rules list|show|lint`) is a thin layer over these exports.
 * Nothing here does I/O except reading rule files.
 */
export { loadPackFile, loadPackText, MAX_RULE_FILE_BYTES, MAX_RULE_FILE_DEPTH, MAX_ALIAS_COUNT } from './load-rules';
export { resolvePack, resolvePacks, resolvePackPath, listPacks, describePack, builtInPackNames, RULES_DIR } from './packs';
export type { PackListing, PackDescription, RuleDescription } from './packs';
export { PolicyEngine, judgeRun, parseSetFlags } from './evaluate';
export type { SwitchSettings, DnsJudgeContext, JudgedRun, JudgeRunOptions } from './evaluate';
export { lintPack, lintLoadedPack, formatFinding, KNOWN_APPS } from './lint';
export type { LintFinding } from './lint';
export { REASON_CODES, REASON_TEXT } from './reason-codes';
export type { ReasonCode } from './reason-codes';
export { DomainTrie, NaiveDomainMatcher, normalizeDomainName, parseDomainPattern } from './domain-matcher';
export type { RulePack, CompiledRule, PackSwitch, SourceLocation } from './rule-file';
