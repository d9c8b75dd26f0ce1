// Turns an image job into the exact generateContent request the seeds show: URL, auth header and JSON body.
import { ImageError } from './errors';
import type { ApiContent, ApiPart, AuthHeaderMode, ImageJob, ProviderSettings } from './imageJob';
import { acceptsOutputFormat, describeModel, isGoogleBaseUrl, normalizeModelId } from './models';

export interface GenerateRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A generateContent request, plus the user turn it carries (kept for the conversation of a later refinement). */
export interface ImageRequest extends GenerateRequest {
  readonly userTurn: ApiContent;
}

export interface GenerateBody {
  readonly contents: ApiContent[];
  readonly generationConfig: {
    readonly responseModalities: string[];
    readonly imageConfig?: { aspectRatio?: string; imageSize?: string; outputFormat?: string };
    readonly thinkingConfig?: { thinkingLevel: string };
  };
  readonly tools?: { googleSearch: Record<string, never> }[];
}

/**
 * `{baseUrl}/v1beta/{path}`, tolerating a trailing slash and a base URL that already ends in /v1beta.
 * Throws invalidJob for a base URL that is not http(s).
 */
export function apiUrl(baseUrl: string, path: string): URL {
  const url = parseBaseUrl(baseUrl);
  let prefix = url.pathname.replace(/\/+$/, '');
  if (/\/v1beta$/i.test(prefix)) prefix = prefix.slice(0, -'/v1beta'.length);
  return new URL(`${url.origin}${prefix}/v1beta/${path}`);
}

export function parseBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    throw new ImageError('invalidJob', `"${baseUrl}" is not a URL. Set geminiImage.baseUrl to an address like https://generativelanguage.googleapis.com.`, {
      host: '',
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ImageError('invalidJob', `"${baseUrl}" is not an http(s) URL. Set geminiImage.baseUrl to an https:// address.`, {
      host: url.host,
    });
  }
  return url;
}

export function generateUrl(baseUrl: string, model: string): string {
  return apiUrl(baseUrl, `models/${encodeURIComponent(normalizeModelId(model))}:generateContent`).toString();
}

/** Which header carries the token: Google wants x-goog-api-key, gateways want Bearer. */
export function authHeaderFor(mode: AuthHeaderMode, baseUrl: string, token: string): Record<string, string> {
  const useGoogleKey = mode === 'x-goog-api-key' || (mode === 'auto' && isGoogleBaseUrl(baseUrl));
  return useGoogleKey ? { 'x-goog-api-key': token } : { authorization: `Bearer ${token}` };
}

/** The new user turn: the prompt first, then each reference as inline_data (the seeds' spelling). */
export function userTurnFor(job: ImageJob): ApiContent {
  const parts: ApiPart[] = [];
  if (job.prompt !== '') parts.push({ text: job.prompt });
  for (const reference of job.references) {
    parts.push({ inline_data: { mime_type: reference.mimeType, data: Buffer.from(reference.bytes).toString('base64') } });
  }
  return { role: 'user', parts };
}

/**
 * The JSON body as an object; every option left on auto is omitted, imageSize too when a suffix fixes it, and
 * outputFormat on Google's own API (which refuses it: `400 Unknown name "outputFormat"`). `baseUrl` '' = a gateway.
 */
export function buildGenerateBody(job: ImageJob, userTurn: ApiContent = userTurnFor(job), baseUrl = ''): GenerateBody {
  const imageConfig: { aspectRatio?: string; imageSize?: string; outputFormat?: string } = {};
  if (job.aspectRatio) imageConfig.aspectRatio = job.aspectRatio;
  if (job.imageSize && describeModel(job.model)?.fixedSize === undefined) imageConfig.imageSize = job.imageSize;
  if (job.outputFormat && acceptsOutputFormat(baseUrl)) imageConfig.outputFormat = job.outputFormat;
  return {
    contents: [...(job.history ?? []), userTurn],
    generationConfig: {
      responseModalities: job.includeText ? ['TEXT', 'IMAGE'] : ['IMAGE'],
      ...(Object.keys(imageConfig).length > 0 ? { imageConfig } : {}),
      ...(job.thinkingLevel ? { thinkingConfig: { thinkingLevel: job.thinkingLevel } } : {}),
    },
    ...(job.grounding ? { tools: [{ googleSearch: {} }] } : {}),
  };
}

/** URL, headers and body of a generateContent call. The token only ever goes in a header, never the URL. */
export function buildGenerateRequest(job: ImageJob, provider: ProviderSettings, token: string): ImageRequest {
  const userTurn = userTurnFor(job);
  return {
    url: generateUrl(provider.baseUrl, job.model),
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...authHeaderFor(provider.authHeader, provider.baseUrl, token),
    },
    body: JSON.stringify(buildGenerateBody(job, userTurn, provider.baseUrl)),
    userTurn,
  };
}

/** One page of `GET {baseUrl}/v1beta/models`. */
export function buildModelsRequest(provider: ProviderSettings, token: string, pageToken?: string): GenerateRequest & { body: '' } {
  // No pageSize: the provider's default page, and nextPageToken is followed whatever it is.
  const url = apiUrl(provider.baseUrl, 'models');
  if (pageToken) url.searchParams.set('pageToken', pageToken);
  return {
    url: url.toString(),
    headers: { accept: 'application/json', ...authHeaderFor(provider.authHeader, provider.baseUrl, token) },
    body: '',
  };
}
