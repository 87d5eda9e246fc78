import type { Clock } from '../../src/clock.ts';

export interface MovableClock {
  /** For the server's start options: what it compares expiries with. */
  now: Clock;
  /** Moves the time on at once, as waiting this long would. */
  advance(ms: number): void;
}

/** The real time plus however far the test has moved it on: an expiry is reached without waiting for it. */
export function movableClock(): MovableClock {
  let ahead = 0;
  return {
    now: () => Date.now() + ahead,
    advance(ms) {
      if (ms < 0) throw new Error('time only moves on');
      ahead += ms;
    },
  };
}
