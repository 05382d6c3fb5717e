/** Webhook deliveries counted by sender and outcome (exported as Prometheus metrics). */
export type WebhookOutcome =
  | 'queued'
  | 'duplicate'
  | 'deleted'
  | 'ignored'
  | 'unconfigured'
  | 'unauthorized'
  | 'invalid'
  | 'unavailable';

export class WebhookCounters {
  private readonly counts = new Map<string, number>();

  add(sender: string, outcome: WebhookOutcome, n = 1): void {
    const k = `${sender}\u0000${outcome}`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + n);
  }

  get(sender: string, outcome: WebhookOutcome): number {
    return this.counts.get(`${sender}\u0000${outcome}`) ?? 0;
  }

  /** Every non-zero counter. */
  entries(): { sender: string; outcome: WebhookOutcome; count: number }[] {
    return [...this.counts].map(([k, count]) => {
      const [sender, outcome] = k.split('\u0000') as [string, WebhookOutcome];
      return { sender, outcome, count };
    });
  }
}
