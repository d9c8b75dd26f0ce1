// Turns a base URL into the origin a token belongs to, and says whether sending a token there is risky.
import { isLoopbackHost } from './loopback';

/** The scheme://host[:port] a token is stored under; undefined for a URL that is not http(s). */
export function originOf(baseUrl: string): string | undefined {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  return url.origin.toLowerCase();
}

/** The host (with port when not the default) shown to users when asking for or reporting on a token. */
export function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl.trim()).host || baseUrl;
  } catch {
    return baseUrl;
  }
}

/** A token sent over plain http to anything but this machine can be read on the way. */
export function isPlainHttpToRemoteHost(baseUrl: string): boolean {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    return false;
  }
  if (url.protocol !== 'http:') return false;
  return !isLoopbackHost(url.hostname);
}
