// A proxy that closes the connection before the tunnel is set up fails the request at once instead of looping.
import { Client, Pool, type Dispatcher, type buildConnector } from './undici';
import { PROXY_TUNNEL_CLOSED } from '../core/errors';

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

function failFastConnector(connect: buildConnector.connector): buildConnector.connector {
  return (options, callback) =>
    connect(options, (...args: Parameters<buildConnector.Callback>) => {
      const [error] = args;
      if (error && CLOSED_CODES.has(String((error as { code?: unknown }).code))) {
        callback(new ProxyTunnelClosedError(`the proxy closed the connection before the tunnel was set up (${error.message})`, { cause: error }), null);
        return;
      }
      callback(...args);
    });
}
