import { expect, it } from 'vitest';

it('ends well within the limit', () => {
  expect('watched').toHaveLength(7);
});
