// The Station screen's words for a robot's refusal of a distrusted CA (docs/station.md, docs/lockdown-orders.md "A
// distrusted CA on the robot"): every code the docs' table says a robot answers over a station port has words that
// say what happened and what the officer does; a port's robot_error with such a code reads in those words.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CRL_REFUSAL_WORDS, ROBOT_ERROR_WORDS, robotErrorWords } from '../../renderer/src/station/orderWords.ts';

/** The codes of the section's table (the "how the robot answers" column), read from the docs. */
function distrustCodesInDocs(): string[] {
  const doc = readFileSync(new URL('../../docs/lockdown-orders.md', import.meta.url), 'utf8');
  const section = doc.split('### A distrusted CA on the robot')[1]!.split('\n### ')[0]!;
  const answers = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('|---')).slice(1).map((l) => l.split(' | ')[1] ?? '');
  return [...new Set(answers.flatMap((cell) => [...cell.matchAll(/[`']([a-z]+(?:_[a-z]+)+)[`']/g)].map((m) => m[1]!)))].sort();
}

/**
 * Codes of that table the robot answers to its own command line, never over a station port (robot.ts
 * --check-peer-cert, the field link's poll): not shown on the Station screen.
 */
const NOT_ON_A_PORT = new Set(['peer_ca_distrusted', 'peer_untrusted']);

/** Where the screen puts each code: an ORDER item's CRL refusal, or a robot_error ending the session. */
const WHERE: Record<string, 'crl' | 'robot_error'> = { crl_foreign: 'crl', bundle_ca_distrusted: 'robot_error', ca_distrusted: 'robot_error' };

describe('a distrusted CA on the robot, in words', () => {
  it('the docs table lists the codes this test knows (a new one fails here until it has words)', () => {
    expect(distrustCodesInDocs().filter((c) => !NOT_ON_A_PORT.has(c))).toEqual(Object.keys(WHERE).sort());
  });

  it.each(Object.entries(WHERE))('%s has words', (code, where) => {
    const words = where === 'crl' ? CRL_REFUSAL_WORDS[code] : ROBOT_ERROR_WORDS[code];
    expect(words).toEqual(expect.any(String));
  });

  it.each([
    ['bundle_ca_distrusted', ['no longer trusts the CA that signed this key bundle', 'installed nothing', 're-provisioned with the current CA']],
    ['ca_distrusted', ['no longer trusts the CA that endorsed the new CA certificate', 'not re-issued', 're-provisioned with the current CA']],
  ])('%s: what happened and what to do', (code, phrases) => {
    const words = robotErrorWords({ code: 'robot_error', robotCode: code });
    for (const p of phrases) expect(words).toContain(p);
  });

  it('only a robot_error with a code that has words gets them; anything else keeps code and message', () => {
    expect(robotErrorWords({ code: 'robot_error', robotCode: 'bundle_replayed' })).toBeNull();
    expect(robotErrorWords({ code: 'robot_error' })).toBeNull();
    expect(robotErrorWords({ code: 'timeout', robotCode: 'bundle_ca_distrusted' })).toBeNull();
    expect(robotErrorWords({ code: 'robot_error', robotCode: 'constructor' })).toBeNull();
  });
});
