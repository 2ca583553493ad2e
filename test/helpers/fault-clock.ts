// Time and faults for tests of hung requests, retries and rate-limit waits, without real waiting:
// - ManualClock is the clock the resilience plugin (src/github/resilience.ts) takes: its timers run
//   only when a test moves time on, so a 15 s timeout or a 60 s rate-limit wait costs nothing.
// - FaultyFetch is the fetch the clients use: it hangs the requests a test picks (they end only when
//   aborted, as a real hung connection does) and passes every other one to nock.
// - settle() runs a piece of work to its end, moving time on whenever nothing but timers (hung
//   requests, backoffs, waits) is left: time jumps to the earliest timer, as it would pass.
// jest's fake timers are not used: they stall undici's fetch (its own timers) after the first test.
import type { Clock } from "../../src/github/resilience.js";

interface Timer {
  id: number;
  at: number;
  ms: number;
  fn: () => void;
}

export class ManualClock implements Clock {
  #time: number;
  #seq = 0;
  #timers: Timer[] = [];
  /** The delay of every timer set, in order: timeouts and waits, for assertions. */
  readonly scheduled: number[] = [];

  constructor(
    start = Date.parse("2026-11-24T12:00:00Z"),
    /** The jitter source; 0.5 makes backoffs the middle of their range. */
    private readonly randomValue = 0.5,
  ) {
    this.#time = start;
  }

  now(): number {
    return this.#time;
  }

  random(): number {
    return this.randomValue;
  }

  setTimeout(fn: () => void, ms: number): number {
    const timer = { id: ++this.#seq, at: this.#time + ms, ms, fn };
    this.#timers.push(timer);
    this.scheduled.push(ms);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  pending(): number {
    return this.#timers.length;
  }

  /** Moves time to the earliest timer and runs it. */
  fireNext(): void {
    const next = this.#timers.reduce<Timer | undefined>((a, b) => (a && a.at <= b.at ? a : b), undefined);
    if (!next) return;
    this.#timers = this.#timers.filter((t) => t !== next);
    this.#time = Math.max(this.#time, next.at);
    next.fn();
  }
}

type Fault = { kind: "hang" } | { kind: "stall-body" } | { kind: "hang-after-sending" };
interface Rule {
  matches: (method: string, path: string) => boolean;
  fault: Fault;
  times: number;
}

export class FaultyFetch {
  #rules: Rule[] = [];
  /** Requests passed on to nock and not answered yet. */
  inFlight = 0;
  /** Requests passed on that their caller aborted (a timeout). */
  aborted = 0;
  /** "METHOD /path" of every request, in order, with the fault it got ("" for none). */
  readonly log: { request: string; fault: string }[] = [];

  /** The next `times` requests that match never answer (until aborted). */
  hang(method: string, path: string | RegExp, times = 1): this {
    return this.#add(method, path, { kind: "hang" }, times);
  }

  /** The next `times` matching requests get their status and headers, then a body that never ends. */
  stallBody(method: string, path: string | RegExp, times = 1): this {
    return this.#add(method, path, { kind: "stall-body" }, times);
  }

  /**
   * The next `times` matching requests reach nock (GitHub carries them out), but their answer never
   * comes back (until aborted): a write that was made although the client timed out.
   */
  hangAfterSending(method: string, path: string | RegExp, times = 1): this {
    return this.#add(method, path, { kind: "hang-after-sending" }, times);
  }

  #add(method: string, path: string | RegExp, fault: Fault, times: number): this {
    const matches = (m: string, p: string) => m === method && (typeof path === "string" ? p === path : path.test(p));
    this.#rules.push({ matches, fault, times });
    return this;
  }

  readonly fetch = async (input: Parameters<typeof fetch>[0], init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    const method = (init.method ?? "GET").toUpperCase();
    const rule = this.#rules.find((r) => r.times > 0 && r.matches(method, url.pathname));
    this.log.push({ request: `${method} ${url.pathname}`, fault: rule?.fault.kind ?? "" });
    if (rule) rule.times--;
    if (rule?.fault.kind === "hang") return abortable(init.signal);
    if (rule?.fault.kind === "hang-after-sending") {
      this.inFlight++;
      try {
        await (await globalThis.fetch(input, { ...init, signal: null })).arrayBuffer();
      } finally {
        this.inFlight--;
      }
      return abortable(init.signal);
    }
    if (rule?.fault.kind === "stall-body") {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"partial":'));
          init.signal?.addEventListener("abort", () => controller.error(init.signal!.reason), { once: true });
        },
      });
      return new Response(body, { status: 200, headers: { "content-type": "application/json; charset=utf-8" } });
    }
    // In flight until the body is read too, so that settle() never moves time on meanwhile.
    this.inFlight++;
    try {
      const response = await globalThis.fetch(input, init);
      const body = [204, 205, 304].includes(response.status) ? null : await response.arrayBuffer();
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    } catch (error) {
      if (init.signal?.aborted) this.aborted++;
      throw error;
    } finally {
      this.inFlight--;
    }
  };

  /** Whether a request is on its way (settle() waits for it before moving time on). */
  busy(): boolean {
    return this.inFlight > 0;
  }

  /** Matching requests still expected to fault (a test's faults should all have happened). */
  unusedFaults(): number {
    return this.#rules.reduce((n, r) => n + r.times, 0);
  }
}

/** A fetch that never answers, and rejects with the signal's reason when it is aborted. */
function abortable(signal: AbortSignal | null | undefined): Promise<Response> {
  return new Promise((_, reject) => {
    if (signal?.aborted) reject(signal.reason);
    signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Awaits `work`, moving the clock on whenever only timers are left to wait for: no request is with
 * nock and nothing has happened for a few turns of the event loop.
 */
export async function settle<T>(work: Promise<T>, clock: ManualClock, fetch: { busy(): boolean }, maxTimers = 200): Promise<T> {
  let done = false;
  const result = work.finally(() => {
    done = true;
  });
  result.catch(() => undefined);
  let quiet = 0;
  let fired = 0;
  for (let turns = 0; !done; turns++) {
    await turn();
    if (done) break;
    if (fetch.busy() || clock.pending() === 0) {
      quiet = 0;
      if (turns > 200_000) throw new Error("settle: the work neither finished nor waited on the clock");
      continue;
    }
    if (++quiet < 5) continue;
    if (++fired > maxTimers) throw new Error(`settle: more than ${maxTimers} timers fired; a retry loop?`);
    clock.fireNext();
    quiet = 0;
  }
  return result;
}
