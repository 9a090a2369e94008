/**
 * `--fail-on` parsing (parseFailOn): which undeclared findings make the exit status 1. An empty
 * or contradictory value is an error, never a silent "none": a CI line `--fail-on "$FAIL_ON"`
 * with the variable unset must not turn the gate off.
 */
import { parseFailOn, type FailOn } from '../../../src/policy-stage';

const flags = (f: FailOn | string) => (typeof f === 'string' ? f : { ...f, reasons: [...f.reasons] });

describe('parseFailOn', () => {
  test('default (flag absent): any', () => {
    expect(flags(parseFailOn(undefined))).toEqual({ any: true, egress: false, inbound: false, local: false, dns: false, reasons: [] });
  });

  test('selectors, flows as egress + inbound + local, reason codes, spaces around commas', () => {
    expect(flags(parseFailOn('egress, dns'))).toMatchObject({ any: false, egress: true, dns: true, inbound: false });
    expect(flags(parseFailOn('flows'))).toMatchObject({ egress: true, inbound: true, local: true, dns: false });
    expect(flags(parseFailOn('sni-dns-mismatch,resolver-bypass'))).toMatchObject({ any: false, reasons: ['sni-dns-mismatch', 'resolver-bypass'] });
    expect(flags(parseFailOn('none'))).toEqual({ any: false, egress: false, inbound: false, local: false, dns: false, reasons: [] });
  });

  test.each(['', ' ', ',', ' , '])('an empty value %j is an error naming the flag', (text) => {
    expect(parseFailOn(text)).toMatch(/^--fail-on .*: expected any \(default\), none, /);
  });

  test('none combined with a finding is an error, not the finding alone', () => {
    expect(parseFailOn('none,egress')).toBe("--fail-on none,egress: 'none' cannot be combined with other findings");
  });

  test('an unknown selector is an error naming it', () => {
    expect(parseFailOn('egress,bogus')).toMatch(/^--fail-on bogus: expected /);
  });
});
