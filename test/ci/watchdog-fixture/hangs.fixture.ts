import { describe, expect, it } from 'vitest';

describe('a blocked main thread', () => {
  it('runs a first test', () => {
    expect(1 + 1).toBe(2);
  });

  it('waits forever in Atomics.wait', () => {
    // Blocks the thread as a native deadlock does: no timer of vitest can fire on it any more.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  });
});
