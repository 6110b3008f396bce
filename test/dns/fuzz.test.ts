// Answer validation under mutation: 20,000 seeded mutated responses (byte
// flips, truncation, junk, count and pointer changes, records re-owned by
// other names, types, classes) through the probe's own response judgement.
// No mutated response may be `success` while the independent reference reader
// in fuzz-cases.ts calls it malformed or foreign. bench/dns/fuzz.ts runs 10^6.
import { describe, expect, it } from 'vitest';
import { matchedOutcome, matchResponse } from '../../src/probes/dns/wire.ts';
import { baseResponses, reference, runFuzz } from './fuzz-cases.ts';

describe('answer validation fuzz', () => {
  it('the unmutated responses are success for probe and reference alike', () => {
    for (const { query, message } of baseResponses()) {
      const match = matchResponse(message, [query]);
      expect(typeof match === 'string' ? match : matchedOutcome(match), message.toString('hex')).toMatch(/^(success|nxdomain)$/);
      expect(reference(message, query.name, query.qtype)).toBe('ok');
    }
  });

  it('20,000 mutated responses (seed 9): none both malformed/foreign and success', () => {
    const counts = runFuzz(9, 20_000);
    expect(counts.examples, JSON.stringify(counts.examples)).toEqual([]);
    expect(counts.malformedSuccess).toBe(0);
    expect(counts.foreignSuccess).toBe(0);
    // Not vacuous: mutations do produce each kind of judgement.
    expect(counts.probe.success).toBeGreaterThan(500);
    expect(counts.probe.wrong_answer).toBeGreaterThan(500);
    expect(counts.probe.undecodable).toBeGreaterThan(2000);
    expect(counts.reference.malformed).toBeGreaterThan(2000);
    expect(counts.reference.foreign).toBeGreaterThan(500);
  });
});
