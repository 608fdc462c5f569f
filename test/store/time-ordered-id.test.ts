import { expect, it } from 'vitest';
import { timeOrderedId } from '../../src/store/time-ordered-id.js';

it('gives unique ids that sort by time, also across refills of its random pool', () => {
  const at = 1_767_225_600_000;
  // 512 ids use one pool: 2,000 cross several refills.
  const ids = Array.from({ length: 2_000 }, (_, i) => timeOrderedId(at + Math.floor(i / 100)));
  expect(new Set(ids).size).toBe(ids.length);
  for (const id of ids) expect(id).toMatch(/^[0-9a-z]{10}[0-9a-f]{16}$/);
  expect(ids.map((id) => id.slice(0, 10))).toEqual([...ids.map((id) => id.slice(0, 10))].sort());
  // The random part is not a counter: no two consecutive ids share their first eight random digits.
  for (let i = 1; i < ids.length; i++) expect(ids[i]!.slice(10, 18)).not.toBe(ids[i - 1]!.slice(10, 18));
});
