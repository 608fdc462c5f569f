import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../support/core.js';
import { startTestServer, type TestServer } from '../support/server.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** A delivery attempt as the dispatcher records it (no passcode in it). */
const attempt = (messageId: string) => ({
  messageId,
  gateway: 'outbox',
  channel: 'sms' as const,
  destination: '+4179•••••67',
  outcome: 'sent' as const,
  error: null,
  latencyMs: 12,
  providerMessageId: null,
});

describe('the clean-up job keeps rows as long as the retention settings say', () => {
  const clock = fakeClock(Date.UTC(2026, 11, 1, 8, 0, 0));
  let passgate: TestServer;
  beforeAll(async () => {
    passgate = await startTestServer({
      clock,
      config: { retention: { deliveryAttemptsDays: 2, throttleHours: 1 } },
    });
  });
  afterAll(() => passgate?.close());

  it('deletes delivery attempts older than retention.deliveryAttemptsDays and keeps younger ones', async () => {
    const attempts = passgate.core.repositories.deliveryAttempts;
    await attempts.record(attempt('old-message'));
    clock.advance(1.5 * DAY);
    await attempts.record(attempt('young-message'));
    clock.advance(DAY); // old: 2.5 days, young: 1 day

    await passgate.server.services()!.cleanUp();
    expect(await attempts.forMessage('old-message')).toEqual([]);
    expect((await attempts.forMessage('young-message')).map((a) => a.messageId)).toEqual(['young-message']);
  });

  it('deletes throttle counters whose window started more than retention.throttleHours ago, and keeps younger ones', async () => {
    const throttle = passgate.core.repositories.throttle;
    const window = 15 * 60_000;
    await throttle.increment('login:address:192.0.2.1', clock(), window);
    clock.advance(HOUR);
    await throttle.increment('login:address:192.0.2.2', clock(), window);
    clock.advance(window + 60_000); // the first window started 76 minutes ago, the second 16 minutes ago

    await passgate.server.services()!.cleanUp();
    expect(await throttle.get('login:address:192.0.2.1')).toBeUndefined();
    expect((await throttle.get('login:address:192.0.2.2'))?.failures).toBe(1);
  });
});
