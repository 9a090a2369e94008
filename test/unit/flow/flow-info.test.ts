/**
 * FlowInfo reuse: the pipeline hands an ended flow's FlowInfo to the next new flow after
 * reset(), so reset() must restore every field, including fields added later.
 */
import { FlowInfo } from '../../../src/flow/flow-info';

describe('FlowInfo.reset', () => {
  test('every field is back to its value in a new FlowInfo', () => {
    const fresh = new FlowInfo();
    const used = new FlowInfo();
    const fields = Object.keys(used);
    expect(fields.length).toBeGreaterThan(10);
    for (const k of fields) (used as unknown as Record<string, unknown>)[k] = { stale: k };
    used.reset();
    expect(used).toEqual(fresh);
  });

  test('a reset FlowInfo records anomalies and names afresh', () => {
    const info = new FlowInfo();
    info.noteAnomaly(3);
    info.dnsNames = FlowInfo.addName(info.dnsNames, 'old.example');
    info.reset();
    info.noteAnomaly(5);
    expect(info.anomalies).toEqual([5]);
    expect(info.dnsNames).toBeNull();
  });
});
