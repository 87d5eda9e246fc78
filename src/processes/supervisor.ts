import cluster, { type Worker } from 'node:cluster';
import { type UnlockWindows, UnlockWindowsInMemory } from '../auth/unlock-limiter.ts';
import type { ProcessesReport, ServerProcessReport } from '../http/health.ts';
import type { Logger } from '../log.ts';
import { expireLeasesOf } from '../processing/jobs.ts';
import { sweepTempFilesOf } from '../storage/data-dir.ts';
import type { Store } from '../storage/open-store.ts';
import { type Answer, failureError, type Question, type Role, type ToServer, type ToSupervisor } from './messages.ts';
import { HEARTBEAT_MS } from './supervisor-link.ts';

/**
 * Set in the environment of the server processes this supervisor forks: what makes `serve` one of
 * several. Not cluster.isWorker, which is as true under pm2's cluster mode or any other primary,
 * where a process waiting for this supervisor's assignment would wait for ever.
 */
export const SUPERVISED_ENV = 'LIGHTBOX_SUPERVISED';

/** Heartbeats are reckoned on the monotonic clock: a wall-clock jump must not make every process look silent. */
const monotonicMs = () => performance.now();

/** A process up this long has recovered: its slot's count of crashes in a row starts again. */
const STABLE_MS = 30_000;
/** Past this many crashes in a row of one slot, restarting is not helping (a broken install, a full disk): the server stops. */
const MAX_CRASHES_IN_ROW = 5;
/**
 * Crashes while processing a photo, in a row: bad photos come back three times each, so a few are
 * survived; past this many (seven photos in a row that each killed the worker) it is not the photos.
 */
const MAX_JOB_CRASHES_IN_ROW = 20;
/** The wait before a restart, doubled with each crash in a row. */
const FIRST_RESTART_MS = 100;
const LONGEST_RESTART_MS = 10_000;
/** Serving, but silent this long: reported as unresponsive (a blocked event loop). */
const UNRESPONSIVE_AFTER_MS = 5 * HEARTBEAT_MS;
/**
 * Silent this long, it is killed (and replaced): round-robin would go on handing it connections
 * that nobody answers. Far past anything a process blocks for on purpose: a write waiting out the
 * database's 5 s busy timeout, the place names' first load (~0.5 s).
 */
export const KILL_UNRESPONSIVE_AFTER_MS = 60_000;
/** How long a listing waits for each other process to write its share-link uses. */
const FLUSH_WITHIN_MS = 1_500;
/** What a process gets on top of its own shutdown (requests, then jobs: two grace periods) before it is killed. */
const STOP_MARGIN_MS = 5_000;

type SlotState = 'starting' | 'serving' | 'restarting' | 'stopping' | 'stopped';

/** One of the server processes the supervisor keeps running: a place its replacements take, role and all. */
interface Slot {
  index: number;
  role: Role;
  state: SlotState;
  worker?: Worker;
  upSince?: number;
  restarts: number;
  crashesInRow: number;
  jobCrashesInRow: number;
  /** monotonicMs() of its last heartbeat. */
  heartbeatAt: number;
  rssBytes: number | null;
  heapUsedBytes: number | null;
  /** Why its process could not start, as it said before exiting. */
  failure?: Error;
  restartTimer?: NodeJS.Timeout;
}

export interface SupervisorOptions {
  processes: number;
  /** The library, opened once by the supervisor (it holds the lock): what a crashed process left is cleaned up through it. */
  store: Store;
  logger: Logger;
  shutdownGraceMs: number;
  /** A server process received SIGTERM or SIGINT: the whole server stops. */
  onStopAsked(signal: NodeJS.Signals): void;
  /** Its processes keep crashing: the server must stop, failed. Called once. */
  onGiveUp(reason: string): void;
  /** KILL_UNRESPONSIVE_AFTER_MS unless a test says otherwise. */
  killUnresponsiveAfterMs?: number;
}

/**
 * The primary of `LIGHTBOX_PROCESSES` > 1: starts that many server processes on one port
 * (node:cluster), gives exactly one of them the lead's duties, restarts a process that exits
 * (after a delay that doubles while it keeps crashing; a replacement takes its slot's role),
 * stops them all on shutdown, and answers their questions: the unlock windows every process
 * counts wrong passwords in, the table /healthz reports, and share-link uses written everywhere.
 */
export class Supervisor {
  private readonly slots: Slot[];
  private readonly unlockWindows: UnlockWindows = new UnlockWindowsInMemory();
  private readonly startedAt = Date.now();
  private startedUp = false;
  private stopping: Promise<void> | undefined;
  private orphanSweepAssigned = false;
  private first: { port: number; url: string } | undefined;
  private starting: { resolve: (address: { port: number; url: string }) => void; reject: (error: Error) => void } | undefined;
  private nextFlushId = 1;
  private readonly flushes = new Map<number, () => void>();
  private givenUp = false;
  private watchdog: NodeJS.Timeout | undefined;
  private watchdogAt = 0;

  constructor(private readonly options: SupervisorOptions) {
    this.slots = Array.from({ length: options.processes }, (_, index) => ({
      index,
      role: index === 0 ? 'lead' : 'server',
      state: 'starting',
      restarts: 0,
      crashesInRow: 0,
      jobCrashesInRow: 0,
      heartbeatAt: 0,
      rssBytes: null,
      heapUsedBytes: null,
    }));
  }

  /** Starts every process; resolves with the address once all serve, fails with the first one's start failure. */
  start(): Promise<{ port: number; url: string }> {
    const started = new Promise<{ port: number; url: string }>((resolve, reject) => {
      this.starting = { resolve, reject };
    });
    for (const slot of this.slots) this.fork(slot);
    this.watchdogAt = monotonicMs();
    this.watchdog = setInterval(() => this.killUnresponsive(), HEARTBEAT_MS);
    this.watchdog.unref();
    return started;
  }

  /** Tells every process to stop (they drain as one process does), waits, and kills what outlives its grace. No restarts from now on. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.watchdog);
      const exits: Promise<void>[] = [];
      for (const slot of this.slots) {
        clearTimeout(slot.restartTimer);
        const worker = slot.worker;
        if (worker === undefined) {
          slot.state = 'stopped';
          continue;
        }
        slot.state = 'stopping';
        exits.push(new Promise((resolve) => worker.once('exit', () => resolve())));
        this.send(worker, { type: 'shutdown' });
      }
      const deadline = setTimeout(
        () => {
          for (const slot of this.slots) {
            if (slot.worker === undefined) continue;
            this.options.logger.warn({ pid: slot.worker.process.pid }, 'a server process outlived its shutdown; killing it');
            slot.worker.process.kill('SIGKILL');
          }
        },
        2 * this.options.shutdownGraceMs + STOP_MARGIN_MS,
      );
      await Promise.all(exits);
      clearTimeout(deadline);
    })();
    return this.stopping;
  }

  /** Every slot as /healthz reports it, with the supervisor itself. */
  report(): ProcessesReport {
    const now = monotonicMs();
    return {
      supervisor: { pid: process.pid, upSince: new Date(this.startedAt).toISOString(), rssBytes: process.memoryUsage.rss() },
      each: this.slots.map((slot): ServerProcessReport => {
        const silent = slot.state === 'serving' && now - slot.heartbeatAt > UNRESPONSIVE_AFTER_MS;
        return {
          pid: slot.worker?.process.pid ?? null,
          role: slot.role,
          state: silent ? 'unresponsive' : slot.state === 'stopped' ? 'stopping' : slot.state,
          upSince: slot.upSince === undefined ? null : new Date(slot.upSince).toISOString(),
          restarts: slot.restarts,
          rssBytes: slot.rssBytes,
          heapUsedBytes: slot.heapUsedBytes,
        };
      }),
    };
  }

  private fork(slot: Slot): void {
    slot.state = 'starting';
    slot.failure = undefined;
    const worker = cluster.fork({ [SUPERVISED_ENV]: '1' });
    slot.worker = worker;
    worker.on('message', (message: ToSupervisor) => this.receive(slot, worker, message));
    // A message to a process that is exiting: its exit is what counts.
    worker.on('error', (error) => this.options.logger.debug({ err: error, pid: worker.process.pid }, 'a server process could not be told'));
    worker.once('exit', (code: number | null, signal: string | null) => this.exited(slot, worker, code, signal));
  }

  private receive(slot: Slot, worker: Worker, message: ToSupervisor): void {
    if (slot.worker !== worker) return;
    if (message.type === 'waiting') {
      // Asked to stop before it was ready to hear it: the message is now.
      if (this.stopping !== undefined) {
        this.send(worker, { type: 'shutdown' });
        return;
      }
      // The first lead's start is the server's: only it sweeps what no row refers to.
      const orphanSweep = slot.role === 'lead' && !this.orphanSweepAssigned;
      if (orphanSweep) this.orphanSweepAssigned = true;
      this.send(worker, { type: 'assignment', slot: slot.index, role: slot.role, orphanSweep, processes: this.slots.length });
    } else if (message.type === 'ready') this.serving(slot, message);
    else if (message.type === 'failed') {
      slot.failure = failureError(message.failure);
      if (!this.startedUp) this.starting?.reject(slot.failure);
    } else if (message.type === 'heartbeat') {
      slot.heartbeatAt = monotonicMs();
      slot.rssBytes = message.rssBytes;
      slot.heapUsedBytes = message.heapUsedBytes;
    } else if (message.type === 'stop') this.options.onStopAsked(message.signal);
    else if (message.type === 'ask') {
      void this.answer(slot, message.question).then((answer) => this.send(worker, { type: 'answer', id: message.id, answer }));
    } else if (message.type === 'unlock-take-back') this.unlockWindows.takeBack(message.keys, message.at);
    else if (message.type === 'share-usage-flushed') this.flushes.get(message.id)?.();
  }

  private killUnresponsive(): void {
    const silentFor = this.options.killUnresponsiveAfterMs ?? KILL_UNRESPONSIVE_AFTER_MS;
    const now = monotonicMs();
    const late = now - this.watchdogAt > 2 * HEARTBEAT_MS;
    this.watchdogAt = now;
    // This process itself was held up (a suspended VM, a blocked loop of its own): the heartbeats
    // waiting to be read say nothing yet, and every process would look silent.
    if (late) {
      for (const slot of this.slots) slot.heartbeatAt = Math.max(slot.heartbeatAt, now);
      return;
    }
    for (const slot of this.slots) {
      if (slot.state !== 'serving' || slot.worker === undefined || now - slot.heartbeatAt <= silentFor) continue;
      this.options.logger.error(
        { pid: slot.worker.process.pid, role: slot.role, silentMs: now - slot.heartbeatAt },
        'a server process stopped answering (its event loop is blocked); killing it',
      );
      slot.worker.process.kill('SIGKILL');
      slot.state = 'restarting';
    }
  }

  private serving(slot: Slot, address: { port: number; url: string }): void {
    if (slot.state !== 'starting') return;
    slot.state = 'serving';
    slot.upSince = Date.now();
    slot.heartbeatAt = monotonicMs();
    this.first ??= address;
    if (this.startedUp) {
      this.options.logger.info(
        { pid: slot.worker?.process.pid, role: slot.role, restarts: slot.restarts },
        'a server process took the place of the one that exited',
      );
    } else if (this.slots.every((each) => each.state === 'serving')) {
      this.startedUp = true;
      this.starting?.resolve(this.first);
    }
  }

  private async answer(asker: Slot, question: Question): Promise<Answer> {
    if (question.kind === 'unlock-count') return this.unlockWindows.count(question.keys, question.at);
    if (question.kind === 'describe') return this.report();
    const others = this.slots.filter((slot) => slot !== asker && slot.state === 'serving' && slot.worker !== undefined);
    const flushed = await Promise.all(others.map((slot) => this.flushShareUsageOf(slot.worker as Worker)));
    return { flushed: flushed.filter(Boolean).length };
  }

  /** True once the process has written its counts; false when it did not say so in time (they are written within the minute anyway). */
  private flushShareUsageOf(worker: Worker): Promise<boolean> {
    const id = this.nextFlushId++;
    return new Promise((resolve) => {
      const done = (flushed: boolean) => {
        clearTimeout(timer);
        this.flushes.delete(id);
        resolve(flushed);
      };
      const timer = setTimeout(() => done(false), FLUSH_WITHIN_MS);
      this.flushes.set(id, () => done(true));
      if (!this.send(worker, { type: 'flush-share-usage', id })) done(false);
    });
  }

  private exited(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    const pid = worker.process.pid as number;
    if (this.stopping !== undefined) {
      slot.state = 'stopped';
      return;
    }
    // One that served and died while the others were still starting (a bad photo the lead took up at
    // once) is restarted like any other: only a process that never listened fails the start.
    if (!this.startedUp && slot.upSince === undefined) {
      slot.state = 'stopped';
      // Its reason, if it gave one, may be read after its exit is seen: a moment for it to arrive first.
      const failure = new Error(`a server process (pid ${pid}) exited with ${signal ?? `code ${code}`} before it listened`);
      setTimeout(() => this.starting?.reject(slot.failure ?? failure), 200);
      return;
    }
    const stable = slot.upSince !== undefined && Date.now() - slot.upSince >= STABLE_MS;
    const heldJobs = this.cleanUpAfter(pid) > 0 && slot.upSince !== undefined;
    if (stable) {
      slot.crashesInRow = 0;
      slot.jobCrashesInRow = 0;
    }
    // Dying while processing is most likely the photo's doing (a decoder's crash): its job's attempts
    // bound how often it comes back, so a few bad photos are counted apart, against a higher limit.
    if (heldJobs) slot.jobCrashesInRow++;
    else slot.crashesInRow++;
    slot.upSince = undefined;
    slot.state = 'restarting';
    const { crashesInRow, jobCrashesInRow } = slot;
    this.options.logger.error(
      { pid, role: slot.role, code, signal, crashesInRow, jobCrashesInRow, heldJobs, err: slot.failure },
      'a server process exited; starting another in its place',
    );
    if (crashesInRow > MAX_CRASHES_IN_ROW || jobCrashesInRow > MAX_JOB_CRASHES_IN_ROW) {
      slot.state = 'stopped';
      if (this.givenUp) return;
      this.givenUp = true;
      const reason = `a server process exited ${crashesInRow + jobCrashesInRow} times in a row${jobCrashesInRow > 0 ? ` (${jobCrashesInRow} of them processing a photo)` : ''}, each within ${STABLE_MS / 1000} s of its start`;
      if (!this.startedUp) this.starting?.reject(new Error(reason));
      this.options.onGiveUp(reason);
      return;
    }
    const delay = Math.min(FIRST_RESTART_MS * 2 ** (crashesInRow + jobCrashesInRow - 1), LONGEST_RESTART_MS);
    slot.restartTimer = setTimeout(() => {
      if (this.stopping !== undefined) return;
      slot.restarts++;
      this.fork(slot);
    }, delay);
  }

  /**
   * Hands a dead process's jobs to the next worker now (not when their leases run out) and removes
   * its temp files. Returns how many jobs it held.
   */
  private cleanUpAfter(pid: number): number {
    let expired = 0;
    try {
      expired = expireLeasesOf(this.options.store.database.sqlite, pid);
      if (expired > 0) this.options.logger.info({ pid, expired }, 'the jobs of the process that exited are free to take again');
    } catch (error) {
      this.options.logger.warn({ err: error, pid }, 'could not free the jobs of the process that exited');
    }
    sweepTempFilesOf(this.options.store.layout, pid).then(
      (swept) => {
        if (swept > 0) this.options.logger.info({ pid, swept }, 'removed the temp files of the process that exited');
      },
      (error: unknown) => this.options.logger.warn({ err: error, pid }, 'could not remove the temp files of the process that exited'),
    );
    return expired;
  }

  /** False when the process's channel is closed (it is exiting). */
  private send(worker: Worker, message: ToServer): boolean {
    if (!worker.isConnected()) return false;
    worker.send(message);
    return true;
  }
}
