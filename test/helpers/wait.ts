import type { EventEmitter } from 'node:events';

/**
 * Resolves once `condition` holds: asked at once, then each time `emitter` emits `event`, never
 * on a timer. `timeoutMs` only bounds the wait: past it the test fails, saying what it waited
 * for (`what` is asked then, so it can tell how far things got).
 */
export function untilEvent(
  emitter: EventEmitter,
  event: string,
  condition: () => boolean,
  what: string | (() => string),
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const finish = (error?: unknown) => {
      clearTimeout(timer);
      emitter.off(event, check);
      if (error === undefined) resolve();
      else reject(error);
    };
    const check = () => {
      try {
        if (condition()) finish();
      } catch (error) {
        finish(error);
      }
    };
    const timer = setTimeout(() => {
      finish(new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`));
    }, timeoutMs);
    emitter.on(event, check);
    check();
  });
}
