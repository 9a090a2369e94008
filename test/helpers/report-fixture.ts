/**
 * Test fixture for the report renderers: a small pcap whose names are hostile (HTML, a
 * spreadsheet formula, control characters), judged against the nebra-hotspot pack, and the
 * helpers that turn a replay into an AuditReport. Test tooling only; deterministic.
 */
import { runAudit } from '../../src/audit';
import { parseCidr } from '../../src/net/addr';
import { parseSetFlags, PolicyEngine, resolvePacks } from '../../src/policy';
import { PolicyStage, parseFailOn } from '../../src/policy-stage';
import { buildAuditReport, pinnedGenerationTime, type AuditReport } from '../../src/report/model';
import type { OutputFile } from '../../src/report/output';
import { inputFactsOf, packHashesOf } from '../../src/report/input-facts';
import { T0, TCP_ACK, TCP_PSH, TCP_SYN, clientHello, pcapBytes, tcpPacket, TimedPacket } from './packets';
import { MemoryOutput } from './memory-output';

/**
 * The HTML-injection name the issue names, with slashes for spaces: `/` separates attributes in
 * HTML as a space does, so this one would run if a renderer forgot to escape it.
 */
export const HOSTILE_SNI = '<img/src="x"/onerror=alert(1)>';
/** The spelling (spaces), kept as it arrives (a space in a name is text). */
export const HOSTILE_SNI_SPACED = '<img src=x onerror=alert(1)>';
/** An SNI that a spreadsheet would run as a formula. */
export const FORMULA_SNI = "=cmd|' /C calc'!A0";
/** The device of the fixture. */
export const DEVICE = '192.0.2.10';

function tcpConnection(ts: number, dst: string, sport: number, dport: number, payload: Uint8Array): TimedPacket[] {
  return [
    { ts, data: tcpPacket({ src: DEVICE, dst, sport, dport, flags: TCP_SYN, seq: 99 }) },
    { ts: ts + 1000, data: tcpPacket({ src: dst, dst: DEVICE, sport: dport, dport: sport, flags: TCP_SYN | TCP_ACK, seq: 7, ack: 100 }) },
    { ts: ts + 2000, data: tcpPacket({ src: DEVICE, dst, sport, dport, flags: TCP_ACK | TCP_PSH, seq: 100, ack: 8, payload }) },
  ];
}

/** A capture with one declared flow and three undeclared ones with hostile names (classic pcap bytes). */
export function hostileCapture(): Uint8Array {
  return pcapBytes([
    ...tcpConnection(T0, '198.51.100.20', 50000, 443, clientHello('api.nebra.com')),
    ...tcpConnection(T0 + 1_000_000, '203.0.113.7', 50001, 443, clientHello(HOSTILE_SNI)),
    ...tcpConnection(T0 + 2_000_000, '203.0.113.8', 50002, 443, clientHello(HOSTILE_SNI_SPACED)),
    ...tcpConnection(T0 + 3_000_000, '203.0.113.9', 50003, 443, clientHello(FORMULA_SNI)),
  ]);
}


/** Replays `files` against `rules` in-process and builds the report (generation time pinned to the last packet). */
export function reportOf(files: string[], rules: string[] = ['nebra-hotspot'], devices: string[] = [DEVICE], version = 'test'): AuditReport {
  const cidrs = devices.map((d) => parseCidr(d)!);
  const packs = resolvePacks(rules);
  const engine = new PolicyEngine(packs, parseSetFlags([]));
  const failOn = parseFailOn('none');
  if (typeof failOn === 'string') throw new Error(failOn);
  const res = runAudit({
    inputs: files, format: 'ndjson', pipeline: { devices: cidrs }, keepRecords: true,
    stage: packs.length > 0 ? (next) => new PolicyStage(engine, next, failOn, cidrs) : undefined,
  }, new MemoryOutput() as unknown as OutputFile);
  return buildAuditReport({
    flows: res.records!.flows, dns: res.records!.dns, summary: res.summary, packs,
    packHashes: packHashesOf(rules), inputFacts: inputFactsOf(files), version, generatedAt: pinnedGenerationTime(res.summary), reproducible: true,
  });
}
