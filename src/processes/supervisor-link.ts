import type { UnlockCount } from '../auth/unlock-limiter.ts';
import type { ProcessesReport } from '../http/health.ts';
import type { OtherProcesses } from '../http/server.ts';
import { type Answer, type Assignment, describeFailure, type Question, type ToServer, type ToSupervisor } from './messages.ts';

/** How often a server process tells its supervisor it is alive, and what it holds. */
export const HEARTBEAT_MS = 1_000;
/** A question the supervisor has not answered by then gets the asker's fallback (a blocked or exiting supervisor). */
const ANSWER_WITHIN_MS = 2_000;

/**
 * A server process's end of the channel to its supervisor (node:cluster's IPC): its assignment,
 * its questions and their answers, its heartbeat, and when it must stop.
 */
export class SupervisorLink {
  private nextId = 1;
  private readonly waiting = new Map<number, { settle: (answer: Answer | undefined) => void; timer: NodeJS.Timeout }>();
  private flushShareUsage: () => void = () => {};
  private assign: ((assignment: Assignment) => void) | undefined;
  private unassigned: ((error: Error) => void) | undefined;
  private readonly assigned = new Promise<Assignment>((resolve, reject) => {
    this.assign = resolve;
    this.unassigned = reject;
  });
  private stop: ((reason: string) => void) | undefined;
  private stopReason: string | undefined;

  constructor() {
    if (process.send === undefined) throw new Error('a server process of several needs the channel to its supervisor');
    process.on('message', (message: ToServer) => this.receive(message));
    // The supervisor is gone (killed, crashed): nothing would stop this process or restart the others.
    process.once('disconnect', () => this.stopFor('the supervisor is gone'));
    const heartbeat = setInterval(() => {
      const memory = process.memoryUsage();
      this.send({ type: 'heartbeat', rssBytes: memory.rss, heapUsedBytes: memory.heapUsed });
    }, HEARTBEAT_MS);
    heartbeat.unref();
    this.send({ type: 'waiting' });
  }

  /** What the supervisor wants this process to be; its first message. */
  assignment(): Promise<Assignment> {
    return this.assigned;
  }

  /**
   * A signal to this process stops the whole server (the supervisor stops every process): a
   * terminal's Ctrl-C reaches the group, systemd signals every process of the unit, and a lone
   * `kill` of one pid must not leave a server that restarts it.
   */
  forwardSignals(): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.on(signal, () => {
        if (process.connected) this.send({ type: 'stop', signal });
        else this.stopFor(signal);
      });
    }
  }

  /** Calls `stop` once: when the supervisor says so, or when it is gone. */
  whenToStop(stop: (reason: string) => void): void {
    this.stop = stop;
    if (this.stopReason !== undefined) stop(this.stopReason);
  }

  ready(port: number, url: string): void {
    this.send({ type: 'ready', port, url });
  }

  /** Tells the supervisor why this process could not start; resolves once the message is out (the process exits next). */
  failed(error: unknown): Promise<void> {
    return new Promise((resolve) => {
      if (!process.connected || process.send === undefined) resolve();
      else process.send({ type: 'failed', failure: describeFailure(error) } satisfies ToSupervisor, undefined, {}, () => resolve());
    });
  }

  /** Closes the channel, so nothing keeps this process once its server has stopped. */
  leave(): void {
    if (process.connected) process.disconnect();
  }

  /** What this process's server asks of the others, through the supervisor. */
  otherProcesses(): OtherProcesses {
    return {
      unlockWindows: {
        // Unanswered, an unlock is refused as busy: it is never let through uncounted.
        count: async (keys, at) =>
          ((await this.ask({ kind: 'unlock-count', keys, at })) as UnlockCount | undefined) ?? { counted: false, retryAfterMs: 1_000 },
        takeBack: (keys, at) => this.send({ type: 'unlock-take-back', keys, at }),
      },
      flushShareUsage: async () => {
        await this.ask({ kind: 'flush-share-usage' });
      },
      describe: async () => {
        const report = await this.ask({ kind: 'describe' });
        if (report === undefined) throw new Error(`no answer within ${ANSWER_WITHIN_MS} ms`);
        return report as ProcessesReport;
      },
      answerShareUsageFlushes: (flush) => {
        this.flushShareUsage = flush;
      },
    };
  }

  /** Resolves with the supervisor's answer, or undefined when it gives none in time. */
  private ask(question: Question): Promise<Answer | undefined> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(undefined), ANSWER_WITHIN_MS);
      const settle = (answer: Answer | undefined) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(answer);
      };
      this.waiting.set(id, { settle, timer });
      if (!this.send({ type: 'ask', id, question })) settle(undefined);
    });
  }

  private receive(message: ToServer): void {
    if (message.type === 'assignment') this.assign?.(message);
    else if (message.type === 'answer') this.waiting.get(message.id)?.settle(message.answer);
    else if (message.type === 'flush-share-usage') {
      this.flushShareUsage();
      this.send({ type: 'share-usage-flushed', id: message.id });
    } else if (message.type === 'shutdown') this.stopFor('the supervisor stops the server');
  }

  private stopFor(reason: string): void {
    if (this.stopReason !== undefined) return;
    this.stopReason = reason;
    // Stopped before it was told what to be: it starts nothing (a settled promise is not settled again).
    this.unassigned?.(new Error(`${reason} before this server process was given its part`));
    this.stop?.(reason);
  }

  /** False when the channel is closed (the supervisor is gone). */
  private send(message: ToSupervisor): boolean {
    if (!process.connected || process.send === undefined) return false;
    process.send(message);
    return true;
  }
}
