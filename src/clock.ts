/** Current time in epoch milliseconds; injected so that tests can move time. */
export type Clock = () => number;

/** The real clock. */
export const systemClock: Clock = () => Date.now();
