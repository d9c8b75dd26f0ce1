// Turns a non-2xx answer (Google JSON error, gateway HTML page, plain text) into an ImageError that says what to do.
import { describeDuration, ImageError } from './errors';
import { excerpt } from './response';
import { isDailyQuota } from './retry';

export interface ErrorAnswer {
  readonly status: number;
  /** The parsed JSON body, when it was JSON. */
  readonly json?: unknown;
  /** Google's `error.message` (or a gateway's message field), else a short excerpt of the body. */
  readonly detail: string;
  /** Google's `error.status`, e.g. RESOURCE_EXHAUSTED. */
  readonly statusName?: string;
  readonly reason?: string;
}

/** Reads whatever the provider sent with an error status. */
export function readErrorAnswer(status: number, bodyText: string): ErrorAnswer {
  let json: unknown;
  try {
    json = JSON.parse(bodyText) as unknown;
  } catch {
    return { status, detail: excerpt(bodyText) };
  }
  const error = isObject(json) && isObject(json.error) ? json.error : undefined;
  const message =
    (error && typeof error.message === 'string' && error.message) ||
    (isObject(json) && typeof json.message === 'string' && json.message) ||
    (isObject(json) && typeof json.detail === 'string' && json.detail) ||
    (isObject(json) && typeof json.error === 'string' && json.error) ||
    excerpt(bodyText);
  const statusName = error && typeof error.status === 'string' ? error.status : undefined;
  const details = error && Array.isArray(error.details) ? error.details : [];
  const reason = details.map((detail) => (isObject(detail) && typeof detail.reason === 'string' ? detail.reason : undefined)).find(Boolean);
  return { status, json, detail: excerpt(message, 400), statusName, reason };
}

export interface ErrorContext {
  readonly host: string;
  readonly model: string;
  readonly attempts: number;
  readonly retryAfterMs?: number;
}

/** The ImageError for an error answer: kind from the status (and Google's reason), message naming host and next step. */
export function errorFromAnswer(answer: ErrorAnswer, context: ErrorContext): ImageError {
  const { status, detail } = answer;
  const { host, model, attempts, retryAfterMs } = context;
  const said = `(${status}${answer.statusName ? ` ${answer.statusName}` : ''}${detail ? `: ${detail}` : ''})`;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  const base = { host, status, retryAfterMs, code: answer.reason ?? answer.statusName };
  const keyRejected = answer.reason === 'API_KEY_INVALID' || /api key not valid/i.test(detail);
  if (status === 401 || status === 403 || (status === 400 && keyRejected)) {
    return new ImageError(
      'authRejected',
      `${host} rejected the API token ${said}. Run "Gemini Image: Set API Token…" to enter a valid token for ${host}` +
        (status === 403 && !keyRejected ? ', or check that this token may use this model.' : '.'),
      base,
    );
  }
  if (status === 404) {
    return new ImageError(
      'modelNotFound',
      `Model "${model}" was not found at ${host} ${said}. Check geminiImage.model, or geminiImage.baseUrl if this is not the right provider.`,
      base,
    );
  }
  if (status === 413) {
    return new ImageError('tooLarge', `${host} refused the request as too large ${said}. Use fewer or smaller reference images.`, base);
  }
  if (status === 429) {
    const next = isDailyQuota(answer.json)
      ? ' This is a daily quota: try again tomorrow, or use another key or plan.'
      : retryAfterMs !== undefined
        ? ` It asks to wait ${describeDuration(retryAfterMs)}: try again then, or check the plan and billing for this key.`
        : ' Wait a little and try again, or check the plan and billing for this key.';
    return new ImageError('quota', `${host} says the quota is used up${tries} ${said}.${next}`, base);
  }
  if (status === 408 || status >= 500) {
    const wait = retryAfterMs !== undefined ? ` It asks to wait ${describeDuration(retryAfterMs)}.` : '';
    return new ImageError('serverError', `${host} had a server error${tries} ${said}.${wait} Try again later.`, base);
  }
  return new ImageError(
    'badRequest',
    `${host} rejected the request ${said}. Change what the message names (model, aspect ratio, size, references) and try again.`,
    base,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
