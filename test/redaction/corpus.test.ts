import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../../lib/redact.js';
import { ordinaryCases, secretCases } from './corpus.js';
import { isCaught, scoreRedactor } from './score.js';

describe('redaction corpus', () => {
  const score = scoreRedactor(redactSecrets);

  it('is broad enough to mean something', () => {
    expect(secretCases.length).toBeGreaterThanOrEqual(150);
    expect(ordinaryCases.length).toBeGreaterThanOrEqual(100);
  });

  it('at least 95% of secrets are caught', () => {
    const missed = score.missed.map(({ case: item, output }) => `${item.kind}: ${output}`);
    expect(score.caught / score.secrets, missed.join('\n')).toBeGreaterThanOrEqual(0.95);
  });

  it('at most 2% of ordinary texts are changed', () => {
    const changed = score.changed.map(({ case: item, output }) => `${item.kind}: ${output}`);
    expect(score.changed.length / score.ordinary, changed.join('\n')).toBeLessThanOrEqual(0.02);
  });

  it('redacting twice changes nothing more', () => {
    for (const { text } of [...secretCases, ...ordinaryCases]) {
      const once = redactSecrets(text);
      expect(redactSecrets(once)).toBe(once);
    }
  });
});

describe('isCaught', () => {
  it.each([
    ['gone', 'hunter2x-secret', 'password=[REDACTED]', true],
    ['whole value left', 'hunter2x-secret', 'password=hunter2x-secret', false],
    ['an 8-character run left', 'hunter2x-secret', 'password=[REDACTED]x-secret', false],
    ['a 7-character run left', 'hunter2x-secret', 'password=[REDACTED]-secret', true],
    ['a short secret, left whole', 'pw1234', 'pw1234', false],
  ])('%s', (_case, secret, output, caught) => {
    expect(isCaught(secret, output)).toBe(caught);
  });
});
