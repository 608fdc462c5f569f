import { describe, expect, it } from 'vitest';
import { maskDestination } from '../../src/dispatch/mask.js';

describe('maskDestination', () => {
  it('keeps the country code and the last two digits of a phone number', () => {
    expect(maskDestination('+33612345642')).toBe('+33 ••••••• 42');
    expect(maskDestination('+33 6 12 34 56 42')).toBe('+33 ••••••• 42');
    expect(maskDestination('+14155550142')).toBe('+1 •••••••• 42');
    expect(maskDestination('+352621123456')).toBe('+352 ••••••• 56');
    expect(maskDestination('+79161234567')).toBe('+7 •••••••• 67');
  });

  it('hides numbers without a country code but their last two digits', () => {
    expect(maskDestination('0612345642')).toBe('•••••••• 42');
    expect(maskDestination('123')).toBe('•••');
  });

  it('keeps the first character and the domain of an e-mail address', () => {
    expect(maskDestination('alice.martin@example.com')).toBe('a•••@example.com');
    expect(maskDestination('b@x.org')).toBe('b•••@x.org');
  });

  it('never returns the destination itself', () => {
    for (const to of ['+33612345642', 'alice@example.com', '0612345642'])
      expect(maskDestination(to).replace(/\s/g, '')).not.toBe(to);
  });
});
