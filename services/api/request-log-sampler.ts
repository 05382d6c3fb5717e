/**
 * How many request lines get written: every error (5xx) and every slow request, and at most
 * `linesPerSecond` of the others in each second; the ones left out are counted by status class and
 * written as one summary line at most every `summaryIntervalMs`. Log volume under any load is then
 * bounded by the errors and slow requests, `linesPerSecond` lines and one summary per interval.
 */

export interface RequestLogSettings {
  /** Ordinary request lines written at most per second (0: none, only errors, slow ones, summaries). */
  linesPerSecond: number;
  /** A request that took this long (ms) is always logged. */
  slowMs: number;
  /** Requests not logged one by one are summarised at most this often (ms). */
  summaryIntervalMs: number;
}

export const REQUEST_LOG_DEFAULTS: RequestLogSettings = {
  linesPerSecond: 50,
  slowMs: 1000,
  summaryIntervalMs: 10_000,
};

/** What was left out since the last summary. */
export interface RequestLogSummary {
  /** Requests answered but not logged one by one. */
  notLogged: number;
  /** Those by status class: `2xx`, `3xx`, `4xx`. */
  byStatus: Record<string, number>;
  /** Over this many ms. */
  sinceMs: number;
}

export class RequestLogSampler {
  readonly settings: RequestLogSettings;
  readonly #now: () => number;
  #second = -1;
  #linesThisSecond = 0;
  #notLogged = 0;
  #byStatus: Record<string, number> = {};
  #since: number;

  constructor(settings: Partial<RequestLogSettings> = {}, now: () => number = Date.now) {
    this.settings = { ...REQUEST_LOG_DEFAULTS, ...settings };
    this.#now = now;
    this.#since = now();
  }

  /** Whether to write this request's line (false: it is counted for the next summary). */
  admit(status: number, ms: number): boolean {
    if (status >= 500 || ms >= this.settings.slowMs) return true;
    const second = Math.floor(this.#now() / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#linesThisSecond = 0;
    }
    if (this.#linesThisSecond < this.settings.linesPerSecond) {
      this.#linesThisSecond++;
      return true;
    }
    this.#notLogged++;
    const cls = `${Math.floor(status / 100)}xx`;
    this.#byStatus[cls] = (this.#byStatus[cls] ?? 0) + 1;
    return false;
  }

  /** The summary to write now, if requests were left out and the interval has passed (or `force`). */
  takeSummary(force = false): RequestLogSummary | undefined {
    const t = this.#now();
    if (this.#notLogged === 0) return undefined;
    if (!force && t - this.#since < this.settings.summaryIntervalMs) return undefined;
    const s = { notLogged: this.#notLogged, byStatus: this.#byStatus, sinceMs: t - this.#since };
    this.#notLogged = 0;
    this.#byStatus = {};
    this.#since = t;
    return s;
  }
}
