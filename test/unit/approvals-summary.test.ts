// A two-person request's summary (docs/two-person-control.md): stored in the clear and shown to every approver, so a
// secret field (passphrase, current, next) never appears in it, wherever it sits in the input. Expected texts are
// written out here, not computed by the code under test.
import { describe, expect, it } from 'vitest';
import { summarizeInput } from '../../electron/services/approvals/approvals.ts';

describe('summarizeInput: fields by name, secrets hidden at any depth', () => {
  const cases: Array<[string, unknown, Record<string, string>]> = [
    ['top-level fields', { keyId: 'k-1', reason: 'lost' }, { keyId: 'k-1', reason: 'lost' }],
    ['a secret at the top', { operator: 'ada', passphrase: 'correct horse battery' }, { operator: 'ada', passphrase: '(hidden)' }],
    ['nested fields as a.b, a nested secret hidden', { policy: { period: 30, next: 's3cret' } }, { 'policy.period': '30', 'policy.next': '(hidden)' }],
    ['an undefined field left out', { keyId: 'k-1', note: undefined }, { keyId: 'k-1' }],
    ['an array of plain values as canonical JSON', { ids: ['b', 'a'] }, { ids: '["b","a"]' }],
    [
      'a secret inside an array of objects hidden',
      { holders: [{ name: 'ada', passphrase: 'p1' }, { name: 'bob', current: 'c1', next: 'n1' }] },
      { holders: '[{"name":"ada","passphrase":"(hidden)"},{"current":"(hidden)","name":"bob","next":"(hidden)"}]' },
    ],
    ['a secret in an array nested in an array', { sets: [[{ passphrase: 'deep' }]] }, { sets: '[[{"passphrase":"(hidden)"}]]' }],
    ['an input that is itself an array', [{ passphrase: 'x' }, 1], { input: '[{"passphrase":"(hidden)"},1]' }],
    ['a plain value as the input', 'text', { input: 'text' }],
    ['null as the input', null, { input: 'null' }],
    ['a null field', { note: null }, { note: 'null' }],
    ['null inside an array beside a secret', { holders: [null, { passphrase: 'p' }] }, { holders: '[null,{"passphrase":"(hidden)"}]' }],
    ['a value cut at 200 characters', { note: 'x'.repeat(250) }, { note: 'x'.repeat(200) }],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(summarizeInput(input)).toEqual(expected);
  });

  it('no secret value reaches the summary text, whatever its depth', () => {
    const input = { a: [{ b: [{ passphrase: 'SECRET-1' }] }], c: { d: [{ next: 'SECRET-2' }] }, current: 'SECRET-3' };
    expect(JSON.stringify(summarizeInput(input))).not.toMatch(/SECRET-/);
  });
});
