// Decides which proxy (if any) a request goes through, from VS Code's http.* settings and the proxy environment variables.
import type { ProxySettings } from './imageJob';
import { isLoopbackHost } from './loopback';

/** The `http.*` settings as the adapter reads them. */
export interface HttpProxyConfig {
  readonly proxy?: string;
  readonly noProxy?: readonly string[];
  readonly proxyStrictSSL?: boolean;
  readonly proxyAuthorization?: string | null;
}

/**
 * The proxy settings in force: `http.proxy` wins over HTTPS_PROXY/https_proxy/HTTP_PROXY/http_proxy;
 * `http.noProxy` and NO_PROXY/no_proxy are merged. Undefined when there is no proxy and TLS is checked strictly.
 */
export function resolveProxySettings(config: HttpProxyConfig, env: Readonly<Record<string, string | undefined>>): ProxySettings | undefined {
  const fromEnv = [env.HTTPS_PROXY, env.https_proxy, env.HTTP_PROXY, env.http_proxy].map((value) => value?.trim()).find(Boolean);
  const url = config.proxy?.trim() || fromEnv || undefined;
  const noProxy = [...(config.noProxy ?? []), ...splitList(env.NO_PROXY), ...splitList(env.no_proxy)]
    .map((entry) => entry.trim())
    .filter((entry, index, all) => entry !== '' && all.indexOf(entry) === index);
  const strictSSL = config.proxyStrictSSL !== false;
  if (!url && strictSSL) return undefined;
  return {
    url,
    noProxy,
    strictSSL,
    ...(config.proxyAuthorization ? { authorization: config.proxyAuthorization } : {}),
  };
}

function splitList(value: string | undefined): string[] {
  return value ? value.split(/[\s,]+/) : [];
}

/** The proxy URL to use for `target`, or undefined to connect directly (always for loopback, as VS Code and Chromium do). */
export function proxyFor(target: string | URL, settings: ProxySettings | undefined): string | undefined {
  if (!settings?.url) return undefined;
  const url = typeof target === 'string' ? new URL(target) : target;
  if (isLoopbackHost(url.hostname)) return undefined;
  return bypassesProxy(url, settings.noProxy) ? undefined : withScheme(settings.url);
}

/** A bare "host:port" proxy setting means an http:// proxy. */
function withScheme(proxy: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

const LOOPBACK_ENTRIES = new Set(['localhost', '127.0.0.1', '::1', '<local>', '<loopback>']);

/**
 * Whether a noProxy list exempts the URL. Entries: "*" (everything), "host", "host:port", ".domain" / "*.domain" /
 * "domain" (the domain and its subdomains), IPv4 CIDR ("10.0.0.0/8"), and localhost / 127.0.0.1 / ::1 /
 * &lt;local&gt;, which exempt every loopback address. (proxyFor never proxies loopback, whatever the list says.)
 */
export function bypassesProxy(target: URL, noProxy: readonly string[]): boolean {
  const host = target.hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    if (LOOPBACK_ENTRIES.has(entry) && isLoopbackHost(host)) return true;
    if (entry.includes('/')) {
      if (inCidr(host, entry)) return true;
      continue;
    }
    const { name, entryPort } = splitHostPort(entry);
    if (entryPort && entryPort !== port) continue;
    const domain = name.replace(/^\*?\.+/, '');
    if (domain !== '' && (host === domain || host.endsWith(`.${domain}`))) return true;
  }
  return false;
}

function splitHostPort(entry: string): { name: string; entryPort?: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { name: bracketed[1], entryPort: bracketed[2] };
  const withPort = /^([^:]+):(\d+)$/.exec(entry);
  if (withPort) return { name: withPort[1], entryPort: withPort[2] };
  return { name: entry };
}

function inCidr(host: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const hostValue = ipv4Value(host);
  const baseValue = ipv4Value(base);
  if (hostValue === undefined || baseValue === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (hostValue & mask) >>> 0 === (baseValue & mask) >>> 0;
}

function ipv4Value(text: string): number | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1).map(Number);
  if (octets.some((octet) => octet > 255)) return undefined;
  return ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
}

/** "proxy.example:3128" for messages and logs: never the credentials a proxy URL may carry. */
export function describeProxy(proxyUrl: string): string {
  try {
    return new URL(withScheme(proxyUrl)).host;
  } catch {
    return 'the configured proxy';
  }
}
