// The undici transport, bundled as dist/http.js and required on the first request so activation stays fast.
import type { LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import { Agent, ProxyAgent, request, type Dispatcher } from './undici';
import { ImageError, isImageError, PROXY_TUNNEL_CLOSED, PROXY_TUNNEL_TIMEOUT } from '../core/errors';
import type { ProxySettings } from '../core/imageJob';
import { describeProxy, proxyFor } from '../core/proxy';
import type { HttpRequest, HttpResponse, Transport, TransportOptions } from '../core/transport';
import { decodeBody, decodingFor, failedCoding } from './contentEncoding';
import { PROXY_CONNECT_TIMEOUT_MS, proxyClientFactory, tunnelGuardFactory } from './proxyTunnel';

export interface UndiciTransportOptions {
  readonly proxy?: ProxySettings;
  /** Name resolution for direct connections (Node's by default); tests map names to 127.0.0.1 so nothing leaves the machine. */
  readonly lookup?: LookupFunction;
  /** How long a proxy may take to answer CONNECT (default PROXY_CONNECT_TIMEOUT_MS; tests shorten it). */
  readonly proxyConnectTimeoutMs?: number;
}

export type ClosableTransport = Transport & { close(): Promise<void> };

/**
 * One long-lived connection pool per configuration (direct, and through the proxy when one is set), passed to each
 * request as its dispatcher: the global dispatcher is never touched. Redirects are never followed. Every request the
 * extension makes (images, the model list, batch polling) goes through here, so each gets the proxy tunnel guard,
 * prompt cancel and answer decoding.
 */
export function createUndiciTransport(options: UndiciTransportOptions): ClosableTransport {
  const proxy = options.proxy;
  const tls = { rejectUnauthorized: proxy?.strictSSL !== false };
  const connect = options.lookup ? { ...tls, lookup: options.lookup } : tls;
  let direct: Agent | undefined;
  const proxied = new Map<string, ProxyAgent>();
  let closed = false;

  function dispatcherFor(url: URL): { dispatcher: Dispatcher; proxyUrl?: string } {
    if (closed) throw new ImageError('network', `The connection to ${url.host} was closed because the settings changed; try again.`, { host: url.host });
    const proxyUrl = proxyFor(url, proxy);
    if (!proxyUrl) {
      direct ??= new Agent({ connect });
      return { dispatcher: direct };
    }
    let agent = proxied.get(proxyUrl);
    if (!agent) {
      agent = new ProxyAgent({
        uri: proxyUrl,
        ...(proxy?.authorization ? { token: proxy.authorization } : {}),
        requestTls: tls,
        proxyTls: tls,
        // One connection to the proxy per request when it drops the tunnel, instead of undici 7's reconnect loop.
        factory: tunnelGuardFactory(),
        // A proxy that accepts the connection but never answers CONNECT fails the request in seconds, not minutes.
        clientFactory: proxyClientFactory(options.proxyConnectTimeoutMs ?? PROXY_CONNECT_TIMEOUT_MS),
      });
      proxied.set(proxyUrl, agent);
    }
    return { dispatcher: agent, proxyUrl };
  }

  const transport: ClosableTransport = {
    async request(httpRequest: HttpRequest, transportOptions: TransportOptions): Promise<HttpResponse> {
      const url = new URL(httpRequest.url);
      const { dispatcher, proxyUrl } = dispatcherFor(url);
      const failure = (error: unknown, phase: Phase): ImageError => mapUndiciError(error, { host: url.host, proxyUrl, phase, signal: transportOptions.signal });
      try {
        const pending = request(url, {
          method: httpRequest.method,
          headers: httpRequest.headers,
          body: httpRequest.body,
          dispatcher,
          signal: transportOptions.signal,
          headersTimeout: transportOptions.headersTimeoutMs,
          bodyTimeout: transportOptions.bodyTimeoutMs,
        });
        const response = await untilAborted(pending, transportOptions.signal);
        const decoding = decodingFor(response.headers['content-encoding']);
        if ('unsupported' in decoding) {
          discard(response.body);
          throw new ImageError(
            'malformedAnswer',
            `${url.host} answered ${response.statusCode} compressed as "${decoding.unsupported}", which this extension cannot decode. ` +
              'Set the gateway (or the proxy on the way) to send gzip, deflate, br or uncompressed answers.',
            { host: url.host, status: response.statusCode, code: 'UNSUPPORTED_CONTENT_ENCODING' },
          );
        }
        const headers = decoding.codings.length > 0 ? withoutEncodingHeaders(response.headers) : response.headers;
        return {
          status: response.statusCode,
          headers,
          body: mapBodyErrors(decodeBody(response.body, decoding.codings), (error) => failure(error, 'body')),
        };
      } catch (error) {
        throw failure(error, 'connect');
      }
    },
    async close(): Promise<void> {
      closed = true;
      const agents: Dispatcher[] = [...proxied.values(), ...(direct ? [direct] : [])];
      proxied.clear();
      direct = undefined;
      await Promise.all(agents.map((agent) => agent.close()));
    },
    // A linked image goes through the same pools and proxy settings, with only an Accept header: never the token.
    download(url: string, transportOptions: TransportOptions): Promise<HttpResponse> {
      return transport.request({ method: 'GET', url, headers: { accept: LINKED_IMAGE_TYPES } }, transportOptions);
    },
  };
  return transport;
}

const LINKED_IMAGE_TYPES = 'image/png, image/jpeg, image/webp, image/gif';

/**
 * undici cannot abort a request that still waits for its connection (a slow or failing proxy): the caller gets the
 * abort at once, and undici drops the request when the connection comes (a late answer's body is discarded).
 */
async function untilAborted<T extends { body: Readable }>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    pending.then((late) => discard(late.body), () => undefined);
    throw signal.reason;
  }
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([pending, aborted]);
  } catch (error) {
    if (signal.aborted) pending.then((late) => discard(late.body), () => undefined);
    throw error;
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** Drops a body nobody will read; undici reports the destroy as an error event, which is expected here. */
function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** The decoded body's headers: its length and encoding no longer describe what the reader gets. */
function withoutEncodingHeaders(headers: HttpResponse['headers']): HttpResponse['headers'] {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'content-encoding' && name !== 'content-length'));
}

/**
 * The body as the client reads it: undici errors mapped to ImageErrors, and `return()` (the client giving up, e.g.
 * over the size cap) destroying the stream even before the first chunk so the connection is not left half-read.
 */
function mapBodyErrors(body: Readable, map: (error: unknown) => ImageError): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
      const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
      return {
        async next(): Promise<IteratorResult<Uint8Array>> {
          try {
            return await chunks.next();
          } catch (error) {
            throw map(error);
          }
        },
        async return(): Promise<IteratorResult<Uint8Array>> {
          body.destroy();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

type Phase = 'connect' | 'body';

interface FailureContext {
  readonly host: string;
  readonly proxyUrl?: string;
  readonly phase: Phase;
  readonly signal: AbortSignal;
}

const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_|ERR_SSL_)/;

/** undici's and Node's errors as the client's kinds; a timeout is never reported as a cancel. */
export function mapUndiciError(error: unknown, context: FailureContext): ImageError {
  if (isImageError(error)) return error;
  const { host, proxyUrl, phase } = context;
  const code = errorCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  const via = proxyUrl ? ` through the proxy ${describeProxy(proxyUrl)}` : '';
  const proxyHint = proxyUrl ? ' Check http.proxy / HTTPS_PROXY and http.noProxy.' : ' Check the network and geminiImage.baseUrl.';
  const details = { host, code, cause: error };
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new ImageError('timeout', `No answer from ${host}${via} in time. Try again, or raise geminiImage.timeoutSeconds.`, details);
  }
  if (code === 'UND_ERR_BODY_TIMEOUT') {
    return new ImageError('timeout', `${host} stopped sending its answer${via}: the connection stalled. Try again, or raise geminiImage.idleTimeoutSeconds.`, details);
  }
  if (proxyUrl && code === PROXY_TUNNEL_CLOSED) {
    return new ImageError(
      'network',
      `The proxy ${describeProxy(proxyUrl)} closed the connection before the tunnel to ${host} was set up. ` +
        `Check http.proxy / HTTPS_PROXY (is that the right proxy, and does it allow CONNECT to ${host}?), or add ${hostNameOf(host)} to http.noProxy to connect directly.`,
      details,
    );
  }
  if (proxyUrl && code === PROXY_TUNNEL_TIMEOUT) {
    return new ImageError(
      'network',
      `The proxy ${describeProxy(proxyUrl)} accepted the connection but did not open the tunnel to ${host} in time. ` +
        `Check http.proxy / HTTPS_PROXY (is that a proxy that allows CONNECT to ${host}?), or add ${hostNameOf(host)} to http.noProxy to connect directly.`,
      details,
    );
  }
  const coding = failedCoding(error);
  if (coding) {
    return new ImageError(
      'malformedAnswer',
      `The answer from ${host} says it is compressed with ${coding} but could not be decoded (${detail}). The gateway or a proxy on the way mislabels its answers.`,
      details,
    );
  }
  if (proxyUrl && /proxy/i.test(detail) && /\(\d{3}\)/.test(detail)) {
    const status = /\((\d{3})\)/.exec(detail)?.[1];
    const auth = status === '407' ? ' It wants credentials: set http.proxyAuthorization.' : '';
    return new ImageError('network', `The proxy ${describeProxy(proxyUrl)} refused to connect to ${host} (${status}).${auth}${proxyHint}`, details);
  }
  if (context.signal.aborted || code === 'UND_ERR_ABORTED' || (error instanceof Error && error.name === 'AbortError')) {
    return new ImageError('cancelled', `Cancelled; nothing more is sent to ${host}.`, details);
  }
  if (proxyUrl && phase === 'connect' && (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'UND_ERR_CONNECT_TIMEOUT')) {
    return new ImageError('network', `Could not reach the proxy ${describeProxy(proxyUrl)} (${code}).${proxyHint}`, details);
  }
  if (code === 'ECONNREFUSED') return new ImageError('network', `Nothing answers at ${host} (connection refused).${proxyHint}`, details);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new ImageError('network', `Could not find the host ${host} (${code}).${proxyHint}`, details);
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return new ImageError('network', `Could not connect to ${host}${via} in time.${proxyHint}`, details);
  if (code && TLS_CODES.test(code)) {
    return new ImageError(
      'network',
      `The TLS certificate of ${proxyUrl ? `the proxy or ${host}` : host} was not accepted (${code}). If a company proxy re-signs traffic, ` +
        'add its certificate to the system, or (less safe) turn off http.proxyStrictSSL.',
      details,
    );
  }
  if (phase === 'body') {
    return new ImageError('network', `The connection to ${host}${via} closed before the answer was complete (${code ?? detail}). Try again.`, details);
  }
  return new ImageError('network', `The connection to ${host}${via} failed (${code ?? detail}).${proxyHint}`, details);
}

/** The host name without its port, as http.noProxy lists it. */
function hostNameOf(host: string): string {
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return host;
  }
}

function errorCode(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const { code, errors, cause } = error as { code?: unknown; errors?: unknown; cause?: unknown };
  if (typeof code === 'string') return code;
  // Happy-eyeballs connects fail with an AggregateError of the per-address errors.
  if (Array.isArray(errors) && errors.length > 0) return errorCode(errors[0]);
  if (cause) return errorCode(cause);
  return undefined;
}
