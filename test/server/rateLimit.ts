// The local server's per-minute request limit: a token bucket, and the 429 Google sends when it is used up.

export interface RateLimitOptions {
  /** Requests allowed per minute, spread evenly (one every 60/rpm seconds). */
  requestsPerMinute: number;
  /** Requests that may arrive at once after a quiet spell (default 1: the limit is a steady rate). */
  burst?: number;
}

/** A token bucket in real (or injected) time. */
export class RateLimiter {
  private tokens: number;
  private updated: number;
  private readonly interval: number;
  private readonly burst: number;

  constructor(readonly options: RateLimitOptions, private readonly now: () => number = Date.now) {
    this.interval = 60_000 / options.requestsPerMinute;
    this.burst = Math.max(1, options.burst ?? 1);
    this.tokens = this.burst;
    this.updated = now();
  }

  /** Takes a request's token: undefined when it may go ahead, else the milliseconds until the next one is free. */
  take(): number | undefined {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.updated) / this.interval);
    this.updated = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) * this.interval));
  }
}

/** Checks options that arrived over HTTP. */
export function rateLimitProblem(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) return 'rateLimit must be an object {requestsPerMinute, burst?} or null';
  const { requestsPerMinute, burst } = value as Record<string, unknown>;
  if (typeof requestsPerMinute !== 'number' || !(requestsPerMinute > 0)) return 'rateLimit.requestsPerMinute must be a number above 0';
  if (burst !== undefined && (typeof burst !== 'number' || !(burst >= 1))) return 'rateLimit.burst must be a number of at least 1';
  return undefined;
}

/** The body Google's API answers when a per-minute quota is used up (see test/fixtures/errors/google-429-*.json). */
export function perMinuteQuotaBody(model: string, requestsPerMinute: number, waitMs: number): Record<string, unknown> {
  const seconds = (waitMs / 1000).toFixed(3).replace(/\.?0+$/, '');
  const metric = 'generativelanguage.googleapis.com/generate_content_paid_tier_requests';
  return {
    error: {
      code: 429,
      message:
        'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: ' +
        `https://ai.google.dev/gemini-api/docs/rate-limits. \n* Quota exceeded for metric: ${metric}, limit: ${requestsPerMinute}, model: ${model}\n` +
        `Please retry in ${seconds}s.`,
      status: 'RESOURCE_EXHAUSTED',
      details: [
        { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] },
        {
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: [
            {
              quotaMetric: metric,
              quotaId: 'GenerateRequestsPerMinutePerProjectPerModel',
              quotaDimensions: { location: 'global', model },
              quotaValue: String(requestsPerMinute),
            },
          ],
        },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${seconds}s` },
      ],
    },
  };
}
