// A proxy that closes the connection before the tunnel is set up fails the request at once instead of looping, and
// one that never answers the tunnel request fails it after PROXY_CONNECT_TIMEOUT_MS instead of the whole timeout.
import { Client, Pool, type Dispatcher, type buildConnector } from './undici';
import { PROXY_TUNNEL_CLOSED, PROXY_TUNNEL_TIMEOUT } from '../core/errors';

/** How long a proxy may take to answer CONNECT: it only opens a connection, so a long wait means it never will. */
export const PROXY_CONNECT_TIMEOUT_MS = 30_000;

/**
 * The ProxyAgent's connection to the proxy itself, whose CONNECT waits at most `timeoutMs` for the proxy's answer
 * (undici's default is 300 s, and the image request's own deadline would otherwise be the only limit).
 */
export function proxyClientFactory(timeoutMs: number): (origin: URL, options: object) => Dispatcher {
  return (origin, options) => new Pool(origin, { ...options, headersTimeout: timeoutMs });
}

/**
 * undici 7's ProxyAgent hands the error of a failed CONNECT to the origin's connection pool, which treats a socket
 * error (UND_ERR_SOCKET, "other side closed") as recoverable: it keeps the request queued, cannot abort it, and
 * reconnects to the proxy at once, thousands of times a second, until the deadline (nodejs/undici issue 3897).
 * Re-labelling that error makes the pool fail the queued requests on the first failed tunnel: one connection to the
 * proxy per request attempt.
 *
 * undici 8 fixes the loop (nodejs/undici PR 5441) but needs Node ≥ 22.19 and throws at require on Node 20, which
 * VS Code 1.100's extension host runs. Once the supported VS Code versions ship Node ≥ 22.19 and undici is 8.x,
 * drop this factory (the `factory` option of the ProxyAgent in src/http/index.ts) and keep the mapping of the
 * error in mapUndiciError for the proxy's own message.
 */
export function tunnelGuardFactory(): (origin: string | URL, options: object) => Dispatcher {
  return (origin, options) => {
    const { connect, connections } = options as { connect?: unknown; connections?: number | null };
    const guarded = typeof connect === 'function' ? { ...options, connect: failFastConnector(connect as buildConnector.connector) } : options;
    // The same choice as undici's own default agent factory.
    return connections === 1 ? new Client(origin, guarded) : new Pool(origin, guarded);
  };
}

/** Errors that mean the proxy dropped the connection while the tunnel was being set up. */
const CLOSED_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

export class ProxyTunnelClosedError extends Error {
  override readonly name = 'ProxyTunnelClosedError';
  readonly code = PROXY_TUNNEL_CLOSED;
}

export class ProxyTunnelTimeoutError extends Error {
  override readonly name = 'ProxyTunnelTimeoutError';
  readonly code = PROXY_TUNNEL_TIMEOUT;
}

function failFastConnector(connect: buildConnector.connector): buildConnector.connector {
  return (options, callback) =>
    connect(options, (...args: Parameters<buildConnector.Callback>) => {
      const [error] = args;
      const code = String((error as { code?: unknown } | null)?.code);
      if (error && CLOSED_CODES.has(code)) {
        callback(new ProxyTunnelClosedError(`the proxy closed the connection before the tunnel was set up (${error.message})`, { cause: error }), null);
        return;
      }
      // Only the CONNECT has a headers timer here: the origin's own request has not been sent yet.
      if (error && code === 'UND_ERR_HEADERS_TIMEOUT') {
        callback(new ProxyTunnelTimeoutError(`the proxy did not answer the tunnel request (${error.message})`, { cause: error }), null);
        return;
      }
      callback(...args);
    });
}
