// Which stored token a base URL may use (one per origin + base path), and whether a token can be sent at all.

/**
 * The key a token is stored under: scheme://host[:port] (lowercased) plus the base path as requests use it (trailing
 * slashes and a final `/v1beta` removed, case and encoding kept). Another path on the same host, such as another
 * tenant of a path-routed gateway, has another key; a base URL without a path keys by origin alone, as tokens stored
 * before 0.2 did. Query and fragment are not part of it: requests do not use them. Undefined for non-http(s) URLs.
 */
export function tokenScopeOf(baseUrl: string): string | undefined {
  const url = parseHttpUrl(baseUrl);
  return url && url.origin.toLowerCase() + basePath(url);
}

/** What users are shown as the place a token is for: the host (with a non-default port) and the base path, if any. */
export function tokenScopeLabel(baseUrl: string): string {
  const url = parseHttpUrl(baseUrl);
  return url ? url.host + basePath(url) : baseUrl;
}

function parseHttpUrl(baseUrl: string): URL | undefined {
  let url: URL;
  try {
    url = new URL(baseUrl.trim());
  } catch {
    return undefined;
  }
  return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
}

/** The path requests are built on (see apiUrl): trailing slashes, then one final /v1beta, removed. */
function basePath(url: URL): string {
  const path = url.pathname.replace(/\/+$/, '');
  return /\/v1beta$/i.test(path) ? path.slice(0, -'/v1beta'.length) : path;
}

/**
 * Why this (already trimmed) token cannot be stored, or undefined when it can: it travels in an HTTP header, which
 * cannot carry line breaks, control characters or characters beyond Latin-1 (a copy-paste accident, not a token).
 */
export function tokenProblem(token: string): string | undefined {
  if (token === '') return 'Enter a token, or press Escape to cancel.';
  if (/[\r\n]/.test(token)) return 'The token contains a line break: copy it again as one line.';
  if (/[\u0000-\u001f\u007f-\u009f]/.test(token)) return 'The token contains control characters: copy it again from the provider.';
  if (/[^\u0000-\u00ff]/.test(token)) {
    return 'The token contains characters an HTTP header cannot carry (beyond Latin-1, such as typographic quotes or emoji): copy it again from the provider.';
  }
  return undefined;
}
