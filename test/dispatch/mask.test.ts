import { describe, expect, it } from 'vitest';
import { maskDestination } from '../../src/dispatch/mask.js';

describe('maskDestination', () => {
  it('keeps the country code, the first and the last two digits of a phone number, in its usual grouping', () => {
    expect(maskDestination('+33612345642')).toBe('+33 6 •• •• •• 42');
    expect(maskDestination('+33 6 12 34 56 42')).toBe('+33 6 •• •• •• 42');
    expect(maskDestination('+14155550142')).toBe('+1 4•• ••• ••42');
    expect(maskDestination('+352621123456')).toBe('+352 6•• ••• •56');
  });

  it('keeps the country code and last two digits of a number no numbering plan knows', () => {
    expect(maskDestination('+99912345678')).toBe('+999 •••••• 78');
  });

  it('hides numbers without a country code but their last two digits', () => {
    expect(maskDestination('0612345642')).toBe('•••••••• 42');
    expect(maskDestination('123')).toBe('•••');
  });

  it('keeps the first character and the domain of an e-mail address', () => {
    expect(maskDestination('alice.martin@example.com')).toBe('a•••@example.com');
    expect(maskDestination('b@x.org')).toBe('b•••@x.org');
  });

  it('never shows more than three digits of a phone number', () => {
    for (const to of ['+33612345642', '+14155550142', '+447911123456', '+4915112345678', '+819012345678'])
      expect(
        maskDestination(to).replace(/\D/g, '').length -
          (/^\+(\d+)/.exec(maskDestination(to))?.[1]?.length ?? 0),
      ).toBe(3);
  });
});
