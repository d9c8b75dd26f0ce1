// The parts of undici the transport uses, loaded from undici's own modules: its index also loads fetch, WebSocket,
// EventSource, caches and mocks, which made dist/http.js (and so the .vsix) about twice as large.
import type * as Undici from 'undici';

/* eslint-disable @typescript-eslint/no-require-imports -- undici's internal modules have no typings of their own. */
const DispatcherClass = require('undici/lib/dispatcher/dispatcher') as typeof Undici.Dispatcher;
// What undici's index does: give every dispatcher request(), stream()… (Agent, Client and Pool inherit them).
Object.assign(DispatcherClass.prototype, require('undici/lib/api'));
export const Agent = require('undici/lib/dispatcher/agent') as typeof Undici.Agent;
export const ProxyAgent = require('undici/lib/dispatcher/proxy-agent') as typeof Undici.ProxyAgent;
export const Client = require('undici/lib/dispatcher/client') as typeof Undici.Client;
export const Pool = require('undici/lib/dispatcher/pool') as typeof Undici.Pool;
/* eslint-enable @typescript-eslint/no-require-imports */

export type Agent = Undici.Agent;
export type ProxyAgent = Undici.ProxyAgent;
export type Client = Undici.Client;
export type Pool = Undici.Pool;
export type { Dispatcher, buildConnector } from 'undici';

type RequestOptions = Omit<Undici.Dispatcher.RequestOptions, 'origin' | 'path'> & { readonly dispatcher: Undici.Dispatcher };

/** undici's request(url, options) with an explicit dispatcher (we never use the global one). */
export function request(url: URL, { dispatcher, ...options }: RequestOptions): Promise<Undici.Dispatcher.ResponseData> {
  return dispatcher.request({
    ...options,
    origin: url.origin,
    path: url.search ? `${url.pathname}${url.search}` : url.pathname,
  });
}
