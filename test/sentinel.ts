// The token every test uses: tests grep logs, settings, messages and errors for it to prove it never leaks.
export const SENTINEL_TOKEN = 'gis-SENTINEL-7f3a9c41e2-token';
/** A second token, for the "another origin gets no token it was not given" tests. */
export const OTHER_TOKEN = 'gis-OTHER-b81d55c0-token';
