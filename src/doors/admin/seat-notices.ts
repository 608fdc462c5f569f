import { HIGH_USE, SEAT_POOLS, type Seats } from '../../licences/seats.js';
import type { HeaderNoticeSource } from './layout.js';

/**
 * The header's licence warning: a pool of limited capacity at 90 % use or more (full: an error,
 * as allocation then refuses), read at every page so that it goes away once seats are released.
 */
export function seatNotices(seats: Pick<Seats, 'usage'>): HeaderNoticeSource {
  return async () => {
    const usage = await seats.usage();
    return SEAT_POOLS.flatMap((pool) => {
      const { used, capacity } = usage[pool];
      if (capacity === null || used < HIGH_USE * capacity) return [];
      const percent = capacity === 0 ? 100 : Math.round((used / capacity) * 100);
      return [
        {
          key: `admin:notices.${used >= capacity ? 'seatsFull' : 'seatsHigh'}.${pool}`,
          values: { used, capacity, percent },
          level: used >= capacity ? ('error' as const) : ('warning' as const),
        },
      ];
    });
  };
}
