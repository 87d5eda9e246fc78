/**
 * The time now, in milliseconds since the epoch, as `Date.now()` gives it. Whatever compares
 * with an expiry (share links, unlock windows, job leases) asks one of these, passed in, so a
 * test can move time on instead of waiting for it.
 */
export type Clock = () => number;

/** The real clock: what every server and worker runs on unless started with another. */
export const systemClock: Clock = Date.now;
