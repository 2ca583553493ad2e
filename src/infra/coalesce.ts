// Coalesces bursts of work per key: GitHub sends a burst of deliveries for one pull request
// (opened + labels + review requests, a stack rebase), and every evaluation costs API requests.
// A lone submission (nothing run for the key within the window) runs at once, so a single event is
// answered without waiting; further submissions within the window cause one more run after the
// burst, which reads the current state and so reflects the last submission. A burst therefore costs
// at most two runs. A submission that arrives while a run is in progress causes exactly one more
// run after it.
//
// The bookkeeping lives in a CoalesceStore: in memory for one process, or in Redis so that several
// replicas behind a load balancer coalesce too (see coalesce-redis.ts). The Coalescer drives the
// timers; runs are detached from the webhook delivery but tracked, so a graceful shutdown can
// `drain()` them.

export interface CoalesceTiming {
  /** Quiet time after the last submission before the run starts. */
  windowMs: number;
  /** Longest time from the first submission of a burst to its run, so a constant stream still runs. */
  maxWaitMs: number;
}

export type Claim =
  | { kind: "run"; generation: number; token: string }
  | { kind: "wait"; ms: number }
  | { kind: "busy" }
  | { kind: "done" };

/** Shared bookkeeping per key; every method is atomic for the key. */
export interface CoalesceStore {
  /** Records a submission (bumps the key's generation, the time of the last one, and the first one of the burst). */
  touch(key: string): Promise<void>;
  /** Asks to run now: `run` (this caller owns the key), `wait` (burst still going), `busy` (someone runs it), `done` (nothing new). */
  claim(key: string, timing: CoalesceTiming): Promise<Claim>;
  /** Ends a run that covered `generation`; true when newer submissions arrived meanwhile. */
  release(key: string, generation: number, token: string): Promise<boolean>;
}

export interface CoalescerLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

interface KeyState {
  run: () => Promise<void>;
  timing: CoalesceTiming;
  timer?: ReturnType<typeof setTimeout>;
  /** The shared store failed for this key: run without it. */
  bypassStore?: boolean;
  running: boolean;
  waiters: (() => void)[];
}

export class Coalescer {
  private readonly keys = new Map<string, KeyState>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private flushing = false;

  constructor(
    private readonly store: CoalesceStore,
    private readonly log: CoalescerLog,
  ) {}

  /**
   * Schedules `run` for `key` and returns at once; the latest `run` submitted is the one used.
   * The returned promise settles (never rejects) when a run covering this submission has finished
   * here, or another replica owns it.
   */
  submit(key: string, run: () => Promise<void>, timing: CoalesceTiming): Promise<void> {
    let state = this.keys.get(key);
    if (!state) {
      state = { run, timing, running: false, waiters: [] };
      this.keys.set(key, state);
    }
    state.run = run;
    state.timing = timing;
    const settled = new Promise<void>((resolve) => state.waiters.push(resolve));
    const current = state;
    this.track(
      this.store.touch(key).then(
        () => {
          // The key may have finished while the store was asked (another replica ran it): keep it tracked.
          const live = this.keys.get(key) ?? current;
          this.keys.set(key, live);
          // The store decides: at once for a lone submission, else after the burst's window.
          if (!live.running && !live.timer) this.arm(key, live, 0);
        },
        (error: unknown) => {
          // Without the shared store, evaluating twice is better than not at all.
          this.log.warn({ err: error, key }, "coalescing store unavailable; evaluating without coalescing");
          if (!current.running && !current.timer) this.arm(key, current, 0, true);
        },
      ),
    );
    return settled;
  }

  /** Keys waiting for their window or running. */
  pending(): number {
    return this.keys.size;
  }

  /** Runs everything that waits now (ignoring windows) and resolves when all runs have finished. */
  async drain(): Promise<void> {
    this.flushing = true;
    try {
      while (this.keys.size > 0 || this.inFlight.size > 0) {
        for (const [key, state] of this.keys) {
          if (state.timer && !state.running) {
            clearTimeout(state.timer);
            state.timer = undefined;
            this.fire(key, state);
          }
        }
        await Promise.allSettled([...this.inFlight]);
        // Let store callbacks arm new timers before looking again.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.flushing = false;
    }
  }

  private arm(key: string, state: KeyState, ms: number, bypassStore = false): void {
    if (this.flushing) ms = 0;
    if (bypassStore) state.bypassStore = true;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      this.fire(key, state);
    }, ms);
    state.timer.unref?.();
  }

  private fire(key: string, state: KeyState): void {
    this.track(
      this.claimAndRun(key, state).catch((error: unknown) => {
        // Never leave a key stuck: report, forget it; the next event schedules it again.
        this.log.error({ err: error, key }, "coalescing failed");
        state.running = false;
        this.finish(key, state);
      }),
    );
  }

  private async claimAndRun(key: string, state: KeyState): Promise<void> {
    let bypassStore = state.bypassStore === true;
    state.bypassStore = false;
    let claim: Claim;
    try {
      const timing = this.flushing ? { windowMs: 0, maxWaitMs: 0 } : state.timing;
      claim = bypassStore ? { kind: "run", generation: 0, token: "" } : await this.store.claim(key, timing);
    } catch (error) {
      this.log.warn({ err: error, key }, "coalescing store unavailable; evaluating without coalescing");
      claim = { kind: "run", generation: 0, token: "" };
      bypassStore = true;
    }
    if (claim.kind === "wait") return this.arm(key, state, claim.ms);
    if (claim.kind === "busy") {
      // Another replica runs it and re-runs if it sees newer submissions; we look again in case it dies.
      // When shutting down, that replica (or its lock's expiry and a later event) takes over.
      if (this.flushing) return this.finish(key, state);
      return this.arm(key, state, state.timing.windowMs);
    }
    if (claim.kind === "done") return this.finish(key, state);

    state.running = true;
    // Submissions from now on need a run of their own; earlier ones are covered by this run.
    const covered = state.waiters.splice(0);
    try {
      await state.run();
    } catch (error) {
      this.log.error({ err: error, key }, "background evaluation failed");
    }
    let newer = state.waiters.length > 0;
    if (!bypassStore) {
      try {
        newer = (await this.store.release(key, claim.generation, claim.token)) || newer;
      } catch (error) {
        this.log.warn({ err: error, key }, "could not release the coalescing lock; it expires on its own");
      }
    }
    state.running = false;
    for (const resolve of covered) resolve();
    if (newer) this.arm(key, state, state.timing.windowMs);
    else this.finish(key, state);
  }

  private finish(key: string, state: KeyState): void {
    if (this.keys.get(key) === state) this.keys.delete(key);
    for (const resolve of state.waiters.splice(0)) resolve();
  }

  private track(promise: Promise<unknown>): void {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
  }
}

/** Bookkeeping for one process. */
export class MemoryCoalesceStore implements CoalesceStore {
  private readonly entries = new Map<string, { generation: number; done: number; first?: number; last: number; owner?: string; ranAt?: number }>();
  private nextToken = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async touch(key: string): Promise<void> {
    const now = this.now();
    if (this.entries.size > PRUNE_ABOVE) this.prune(now);
    const entry = this.entries.get(key) ?? { generation: 0, done: 0, last: 0 };
    entry.generation += 1;
    entry.last = now;
    entry.first ??= entry.last;
    this.entries.set(key, entry);
  }

  async claim(key: string, timing: CoalesceTiming): Promise<Claim> {
    const entry = this.entries.get(key);
    if (!entry || entry.done >= entry.generation) return { kind: "done" };
    if (entry.owner) return { kind: "busy" };
    const now = this.now();
    const lone = entry.generation - entry.done === 1 && (entry.ranAt === undefined || now - entry.ranAt >= timing.windowMs);
    const due = lone ? now : dueAt(entry.last, entry.first ?? entry.last, timing);
    if (now < due) return { kind: "wait", ms: due - now };
    entry.owner = String(++this.nextToken);
    entry.first = undefined;
    return { kind: "run", generation: entry.generation, token: entry.owner };
  }

  async release(key: string, generation: number, token: string): Promise<boolean> {
    const entry = this.entries.get(key);
    if (!entry) return false;
    if (entry.owner === token) entry.owner = undefined;
    entry.done = Math.max(entry.done, generation);
    // Kept (until pruned) so that the next submission knows a run just happened: that one waits.
    entry.ranAt = this.now();
    return entry.generation > generation;
  }

  /** Forgets keys that ran long ago and have nothing pending. */
  private prune(now: number): void {
    for (const [key, entry] of this.entries) {
      if (!entry.owner && entry.done >= entry.generation && now - (entry.ranAt ?? entry.last) > FORGET_AFTER_MS) this.entries.delete(key);
    }
  }
}

/** Idle keys are forgotten after this long, once the store holds more than PRUNE_ABOVE keys. */
const FORGET_AFTER_MS = 10 * 60_000;
const PRUNE_ABOVE = 1_000;

/** When a burst may run: after a quiet window, but never later than maxWait after it began. */
export function dueAt(last: number, first: number, timing: CoalesceTiming): number {
  return Math.min(last + timing.windowMs, first + Math.max(timing.maxWaitMs, timing.windowMs));
}
