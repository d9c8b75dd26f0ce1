// Turns a non-2xx answer (Google JSON error, gateway JSON, Vertex array, nested proxy error, HTML page) into an ImageError that says what to do.
// The causes below were read from real answers; test/fixtures/errors holds one body per cause with its source.
import { describeDuration, ImageError, type ImageErrorKind } from './errors';
import { excerpt } from './response';
import { isDailyQuota } from './retry';

export interface ErrorAnswer {
  readonly status: number;
  /** The error as `{error: {...}}` after unwrapping (Vertex arrays, proxies nesting Google's JSON), when it was JSON. */
  readonly json?: unknown;
  /** Google's `error.message` (or a gateway's message field), else a short excerpt of the body. */
  readonly detail: string;
  /** Google's `error.status`, e.g. RESOURCE_EXHAUSTED. */
  readonly statusName?: string;
  readonly reason?: string;
  /** A gateway's own code (new-api / one-api style `error.code` string), e.g. model_not_found. */
  readonly gatewayCode?: string;
}

/** How many proxies deep an error is unwrapped (a proxy nesting a gateway nesting Google is two). */
const MAX_NESTING = 3;

/** Reads whatever the provider sent with an error status. */
export function readErrorAnswer(status: number, bodyText: string): ErrorAnswer {
  let json: unknown;
  try {
    json = JSON.parse(bodyText) as unknown;
  } catch {
    return { status, detail: excerpt(bodyText) };
  }
  const outer = errorObjectOf(json);
  let error = outer;
  for (let depth = 0; error && depth < MAX_NESTING; depth++) {
    const inner = nestedError(error);
    if (!inner) break;
    error = inner;
  }
  const top = Array.isArray(json) ? json[0] : json;
  const message =
    (error && typeof error.message === 'string' && error.message) ||
    (isObject(top) && typeof top.message === 'string' && top.message) ||
    (isObject(top) && typeof top.detail === 'string' && top.detail) ||
    (isObject(top) && typeof top.error === 'string' && top.error) ||
    excerpt(bodyText);
  // A proxy's own wrapper may say "Too Many Requests" where Google says RESOURCE_EXHAUSTED: keep only Google's names.
  const statusName = error && typeof error.status === 'string' && /^[A-Z_]+$/.test(error.status) ? error.status : undefined;
  const details = error && Array.isArray(error.details) ? error.details : [];
  const reason = details.map((detail) => (isObject(detail) && typeof detail.reason === 'string' ? detail.reason : undefined)).find(Boolean);
  const gatewayCode = [outer?.code, error?.code].find((code): code is string => typeof code === 'string' && code !== '');
  return { status, json: error ? { error } : json, detail: excerpt(message, 400), statusName, reason, gatewayCode };
}

/** `{"error": {...}}`, or the first of Vertex's `[{"error": {...}}]`. */
function errorObjectOf(value: unknown): Record<string, unknown> | undefined {
  const first = Array.isArray(value) ? value.find((item) => isObject(item) && isObject(item.error)) : value;
  return isObject(first) && isObject(first.error) ? first.error : undefined;
}

/** Google's error that a proxy put inside its own: as JSON text in `message` or OpenRouter's `metadata.raw`. */
function nestedError(error: Record<string, unknown>): Record<string, unknown> | undefined {
  const raw = isObject(error.metadata) ? error.metadata.raw : undefined;
  for (const text of [error.message, raw]) {
    if (typeof text !== 'string' || !/^\s*[[{]/.test(text)) continue;
    try {
      const inner = errorObjectOf(JSON.parse(text) as unknown);
      if (inner) return inner;
    } catch {
      // Not JSON after all: the message is the text.
    }
  }
  return isObject(error.upstreamResponse) ? errorObjectOf(error.upstreamResponse) : undefined;
}

/** What really went wrong, read from status, Google's status and reason, a gateway's code and the message. */
export type ErrorCause =
  | 'historyRejected'
  | 'location'
  | 'serviceDisabled'
  | 'billing'
  | 'gatewayBalance'
  | 'quotaNotEnabled'
  | 'modelNotFound'
  | 'keyRejected'
  | 'forbidden'
  | 'tooLarge'
  | 'dailyQuota'
  | 'quota'
  | 'gatewayTimeout'
  | 'server'
  | 'badRequest';

const KIND_OF_CAUSE: Record<ErrorCause, ImageErrorKind> = {
  historyRejected: 'historyRejected',
  location: 'notAvailable',
  serviceDisabled: 'notAvailable',
  billing: 'billing',
  gatewayBalance: 'billing',
  quotaNotEnabled: 'notAvailable',
  modelNotFound: 'modelNotFound',
  keyRejected: 'authRejected',
  forbidden: 'authRejected',
  tooLarge: 'tooLarge',
  dailyQuota: 'quota',
  quota: 'quota',
  gatewayTimeout: 'timeout',
  server: 'serverError',
  badRequest: 'badRequest',
};

const GATEWAY_BALANCE_CODES = new Set([
  'insufficient_user_quota',
  'pre_consume_token_quota_failed',
  'token_quota_exhausted',
  'insufficient_quota',
  'insufficient_balance',
]);
const GATEWAY_BALANCE_TEXT = /quota is not enough|额度已用尽|额度不足|余额不足|insufficient (user )?(quota|balance|credit)|balance (is )?(insufficient|exhausted|not enough)/i;
const BILLING_TEXT = /prepay(ment)? credits?|credits? (are |is |have been )?(depleted|exhausted)|requires billing to be enabled|billing (is )?(disabled|not enabled)/i;
const LOCATION_TEXT = /user location is not supported|not available in your (country|region)|unsupported.country/i;
const SERVICE_DISABLED_TEXT = /has not been used in project \S+ before or it is disabled|Requests to this API \S+ method \S+ are blocked/i;
const MODEL_UNAVAILABLE_TEXT = /无可用渠道|no available channel/i;

/** Ends the message of a used-up daily quota: a batch stops on it instead of waiting. */
export const DAILY_QUOTA_ADVICE = 'This is a daily quota: try again tomorrow, or use another key or plan.';

export function causeOf(answer: ErrorAnswer): ErrorCause {
  const { status, detail, reason, gatewayCode } = answer;
  if (/thought.signature/i.test(detail)) return 'historyRejected';
  if (LOCATION_TEXT.test(detail)) return 'location';
  if (reason === 'SERVICE_DISABLED' || reason === 'API_KEY_SERVICE_BLOCKED' || SERVICE_DISABLED_TEXT.test(detail)) return 'serviceDisabled';
  if (status === 402 || reason === 'BILLING_DISABLED' || BILLING_TEXT.test(detail)) return 'billing';
  if ((gatewayCode && GATEWAY_BALANCE_CODES.has(gatewayCode)) || GATEWAY_BALANCE_TEXT.test(detail)) return 'gatewayBalance';
  if (status === 429 && hasZeroLimit(answer)) return 'quotaNotEnabled';
  if (status === 404 || gatewayCode === 'model_not_found' || MODEL_UNAVAILABLE_TEXT.test(detail)) return 'modelNotFound';
  if (status === 401 || reason === 'API_KEY_INVALID' || /api key not valid/i.test(detail)) return 'keyRejected';
  if (status === 403) return 'forbidden';
  if (status === 413) return 'tooLarge';
  if (status === 429) return isDailyQuota(answer.json) ? 'dailyQuota' : 'quota';
  if (status === 524) return 'gatewayTimeout';
  if (status === 408 || status >= 500) return 'server';
  return 'badRequest';
}

/** The kind of error an answer makes, which also decides whether it is retried (see retry.ts). */
export function errorKindOf(answer: ErrorAnswer): ImageErrorKind {
  return KIND_OF_CAUSE[causeOf(answer)];
}

/** `limit: 0` in Google's text, or a QuotaFailure violation whose quotaValue is 0: the tier does not include the model. */
function hasZeroLimit(answer: ErrorAnswer): boolean {
  if (/\blimit: ?0(?![\d.])/.test(answer.detail)) return true;
  const error = isObject(answer.json) && isObject(answer.json.error) ? answer.json.error : undefined;
  const details = error && Array.isArray(error.details) ? error.details : [];
  return details.some(
    (detail) => isObject(detail) && Array.isArray(detail.violations) && detail.violations.some((violation) => isObject(violation) && String(violation.quotaValue) === '0'),
  );
}

export interface ErrorContext {
  readonly host: string;
  readonly model: string;
  readonly attempts: number;
  readonly retryAfterMs?: number;
  /** The size asked for, for the hint on gateway time limits. */
  readonly imageSize?: string;
}

/** The ImageError for an error answer: kind from its cause, message naming host, cause and next step. */
export function errorFromAnswer(answer: ErrorAnswer, context: ErrorContext): ImageError {
  const { status, detail } = answer;
  const { host, model, attempts, retryAfterMs } = context;
  const said = `(${status}${answer.statusName ? ` ${answer.statusName}` : ''}${detail ? `: ${detail}` : ''})`;
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  const cause = causeOf(answer);
  const base = { host, status, retryAfterMs, code: answer.reason ?? answer.gatewayCode ?? answer.statusName };
  const error = (message: string): ImageError => new ImageError(KIND_OF_CAUSE[cause], message, base);
  switch (cause) {
    case 'historyRejected':
      return error(
        `${host} refused the earlier turns sent to refine this image: a part lost its thought signature ${said}. ` +
          'Start a new image instead of refining this one (Generate Image… with the image as a reference).',
      );
    case 'location':
      return error(
        `${host} does not serve the Gemini API to the place this request comes from ${said}. If a VPN or proxy is in use, ` +
          'route through a supported country; otherwise use a gateway that serves your region (or, where only the free tier is unavailable, enable billing for the project).',
      );
    case 'serviceDisabled':
      return error(
        `${host} accepted the token, but the Gemini API is not enabled for its project, or the key's API restrictions block it ${said}. ` +
          "Enable the Generative Language API for that project (Google's message links to the page), or allow it in the key's restrictions, then try again.",
      );
    case 'billing':
      return error(
        `${host} says the prepaid credits or billing for this key are used up ${said}. Not retried: add credits or fix billing ` +
          'for the project (Google AI Studio → Billing), or use another key.',
      );
    case 'gatewayBalance':
      return error(
        `${host} says the balance or quota of this token's account is used up ${said}. The token itself was accepted: top up ` +
          `the account (or raise this token's quota) at ${host}, or use another token.`,
      );
    case 'quotaNotEnabled':
      return error(
        `${host} allows this key no requests at all for ${model || 'this model'} (limit 0) ${said}. The model is not enabled for ` +
          "this project's tier, so waiting will not help: enable billing for the project (a paid tier), or choose a model your tier includes.",
      );
    case 'modelNotFound':
      return status === 404
        ? error(`Model "${model}" was not found at ${host} ${said}. Check geminiImage.model, or geminiImage.baseUrl if this is not the right provider.`)
        : error(
            `Model "${model}" is not available at ${host} ${said}. Choose another model in geminiImage.model, or ask the provider ` +
              'which models your account may use.',
          );
    case 'keyRejected':
    case 'forbidden':
      return error(
        `${host} rejected the API token ${said}. Run "Gemini Image: Set API Key (Token)…" to enter a valid token for ${host}` +
          (cause === 'forbidden' ? ', or check that this token may use this model.' : '.'),
      );
    case 'tooLarge':
      return error(`${host} refused the request as too large ${said}. Use fewer or smaller reference images.`);
    case 'dailyQuota':
    case 'quota': {
      const next =
        cause === 'dailyQuota'
          ? ` ${DAILY_QUOTA_ADVICE}`
          : retryAfterMs !== undefined
            ? ` It asks to wait ${describeDuration(retryAfterMs)}: try again then, or check the plan and billing for this key.`
            : ' Wait a little and try again, or check the plan and billing for this key.';
      return error(`${host} says the quota is used up${tries} ${said}.${next}`);
    }
    case 'gatewayTimeout': {
      const size = context.imageSize && /^[24]K$/i.test(context.imageSize) ? `A ${context.imageSize} image` : 'A 2K or 4K image';
      return error(
        `${host} stopped waiting for the image at the gateway's time limit ${said}. ${size} may take longer than that gateway allows: ` +
          'ask for a smaller size (1K), or use a provider or base URL without that limit. Not retried, since each try waits the full limit.',
      );
    }
    case 'server': {
      const wait = retryAfterMs !== undefined ? ` It asks to wait ${describeDuration(retryAfterMs)}.` : '';
      return error(`${host} had a server error${tries} ${said}.${wait} Try again later.`);
    }
    case 'badRequest':
      return error(`${host} rejected the request ${said}. Change what the message names (model, aspect ratio, size, references) and try again.`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
