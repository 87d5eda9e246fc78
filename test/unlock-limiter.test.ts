import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UNLOCK_LIMITS, type UnlockAdmission, UnlockLimiter } from '../src/auth/unlock-limiter.ts';

/** The limiter's own clock is the one thing replaced: windows of ten minutes are not waited out in a test. */
function limiterAt(start: number) {
  const clock = { now: start };
  return { clock, limiter: new UnlockLimiter(() => clock.now) };
}

async function wrongAttempt(limiter: UnlockLimiter, link: string, address: string): Promise<UnlockAdmission> {
  const admission = await limiter.admit(link, address);
  if (admission.admitted) admission.release('wrong');
  return admission;
}

describe('unlock limiter', () => {
  it('refuses an address past its wrong passwords, for every link, until its window ends', async () => {
    const { clock, limiter } = limiterAt(1_000_000);
    for (let attempt = 0; attempt < UNLOCK_LIMITS.perAddress; attempt++) {
      assert.equal((await wrongAttempt(limiter, `link-${attempt % 3}`, '192.0.2.1')).admitted, true);
    }
    const refused = await wrongAttempt(limiter, 'link-9', '192.0.2.1');
    assert.equal(refused.admitted, false);
    assert.equal(!refused.admitted && refused.retryAfterSeconds, UNLOCK_LIMITS.windowMs / 1000);
    assert.equal((await wrongAttempt(limiter, 'link-9', '192.0.2.2')).admitted, true, 'another address is not held back');
    clock.now += UNLOCK_LIMITS.windowMs;
    assert.equal((await wrongAttempt(limiter, 'link-9', '192.0.2.1')).admitted, true, 'a new window starts');
  });

  it('refuses a link past its wrong passwords, from any address', async () => {
    const { limiter } = limiterAt(0);
    for (let attempt = 0; attempt < UNLOCK_LIMITS.perLink; attempt++) {
      assert.equal((await wrongAttempt(limiter, 'link', `198.51.100.${attempt}`)).admitted, true);
    }
    assert.equal((await wrongAttempt(limiter, 'link', '203.0.113.7')).admitted, false);
    assert.equal((await wrongAttempt(limiter, 'another link', '203.0.113.7')).admitted, true);
  });

  it('a right password is not counted against anyone', async () => {
    const { limiter } = limiterAt(0);
    for (let attempt = 0; attempt < UNLOCK_LIMITS.perAddress * 3; attempt++) {
      const admission = await limiter.admit('link', '192.0.2.1');
      assert.equal(admission.admitted, true);
      if (admission.admitted) admission.release('right');
    }
  });

  it('hashes at most a few passwords at once; the rest wait their turn, and a flood past the queue is refused', async () => {
    const { limiter } = limiterAt(0);
    const running = await Promise.all(
      Array.from({ length: UNLOCK_LIMITS.hashingAtOnce }, (_, index) => limiter.admit(`l${index}`, `a${index}`)),
    );
    assert.ok(running.every((admission) => admission.admitted));
    let started = 0;
    const waiting = Array.from({ length: UNLOCK_LIMITS.waiting }, (_, index) =>
      limiter.admit(`w${index}`, `b${index}`).then((admission) => {
        started++;
        return admission;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(started, 0, 'none starts while the slots are taken');
    const flood = await limiter.admit('x', 'c');
    assert.equal(flood.admitted, false, 'past the queue: refused at once');
    for (const admission of running) if (admission.admitted) admission.release('wrong');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(started, UNLOCK_LIMITS.hashingAtOnce, 'each release lets one waiting unlock start');
    for (const admission of await Promise.all(waiting.slice(0, UNLOCK_LIMITS.hashingAtOnce)))
      if (admission.admitted) admission.release('wrong');
  });
});
