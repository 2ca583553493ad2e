// A queue for background work that must not eat the API budget all at once (re-evaluating every
// open PR after a policy change, or after the app is installed): one job at a time, a pause
// between jobs, and a longer pause while the budget is low. Jobs with a key already waiting are
// not queued twice.

export interface PacedJob {
  /** Jobs with the same key already waiting are dropped as duplicates. */
  key: string;
  /** The installation whose budget the job spends. */
  installation: string;
  run: () => Promise<void>;
}

export interface PacedQueueOptions {
  /** Pause between two jobs. */
  spacingMs: number;
  /** Extra pause before a job (the budget is low); re-checked after at most maxPauseMs. */
  pauseFor: (installation: string) => number;
  maxPauseMs: number;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export class PacedQueue {
  private readonly waiting: PacedJob[] = [];
  private readonly keys = new Set<string>();
  private worker: Promise<void> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private running = false;

  constructor(private readonly options: PacedQueueOptions) {}

  push(job: PacedJob): boolean {
    if (this.stopped || this.keys.has(job.key)) return false;
    this.keys.add(job.key);
    this.waiting.push(job);
    this.worker ??= this.work().finally(() => {
      this.worker = null;
    });
    return true;
  }

  /** Jobs waiting or running. */
  pending(): number {
    return this.waiting.length + (this.worker && this.running ? 1 : 0);
  }

  /** Resolves when every job has run (for tests and benchmarks). */
  async idle(): Promise<void> {
    while (this.worker) await this.worker;
  }

  /** For shutdown: drops the jobs not started yet (logged), and waits for the one running. */
  async stop(): Promise<void> {
    this.stopped = true;
    const dropped = this.waiting.splice(0);
    if (dropped.length > 0) {
      this.options.log.warn({ dropped: dropped.length }, "shutting down: queued re-evaluations dropped; the next event on each pull request re-evaluates it");
    }
    this.keys.clear();
    this.wake?.();
    await this.worker;
  }

  private async work(): Promise<void> {
    let first = true;
    while (this.waiting.length > 0 && !this.stopped) {
      if (!first) await this.sleep(this.options.spacingMs);
      first = false;
      const job = this.waiting[0]!;
      const pause = this.options.pauseFor(job.installation);
      if (pause > 0) {
        await this.sleep(Math.min(pause, this.options.maxPauseMs));
        continue;
      }
      this.waiting.shift();
      this.keys.delete(job.key);
      this.running = true;
      try {
        await job.run();
      } catch (error) {
        this.options.log.error({ err: error, key: job.key }, "background re-evaluation failed");
      } finally {
        this.running = false;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      // Only the one worker sleeps, so one waker is enough.
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }
}
