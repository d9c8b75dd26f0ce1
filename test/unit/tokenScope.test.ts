// Tokens belong to an origin + base path, and only tokens an HTTP header can carry are stored.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiUrl } from '../../src/core/request';
import { tokenProblem, tokenScopeLabel, tokenScopeOf } from '../../src/core/tokenScope';

test('the key is the origin plus the base path requests use, /v1beta and trailing slashes removed', () => {
  assert.equal(tokenScopeOf('https://API.ezmodel.cloud'), 'https://api.ezmodel.cloud');
  assert.equal(tokenScopeOf('https://api.ezmodel.cloud/'), 'https://api.ezmodel.cloud');
  assert.equal(tokenScopeOf('https://api.ezmodel.cloud/v1beta/'), 'https://api.ezmodel.cloud', 'a bare origin with /v1beta is still the root');
  assert.equal(tokenScopeOf(' http://127.0.0.1:8787/a/v1beta '), 'http://127.0.0.1:8787/a');
  assert.equal(tokenScopeOf('https://gw.example/tenant-a/'), 'https://gw.example/tenant-a');
  assert.equal(tokenScopeOf('https://gw.example/tenant-a?x=1#y'), 'https://gw.example/tenant-a');
  assert.equal(tokenScopeOf('https://gw.example/a/../b'), 'https://gw.example/b', 'dot segments are resolved like the request URL');
  assert.equal(tokenScopeOf('ftp://gw.example/a'), undefined);
  assert.equal(tokenScopeOf('not a url'), undefined);
});

test('another path, port, scheme or host is another key: a tenant never gets another tenant\'s token', () => {
  const keys = [
    'https://gw.example/a',
    'https://gw.example/b',
    'https://gw.example/A',
    'https://gw.example/a/b',
    'https://gw.example',
    'https://gw.example:8443/a',
    'http://gw.example/a',
    'https://other.example/a',
    'https://gw.example//a',
  ].map(tokenScopeOf);
  assert.equal(new Set(keys).size, keys.length, JSON.stringify(keys));
});

test('tokens stored by origin alone (0.1) keep working for base URLs without a path', () => {
  const legacyKey = new URL('https://generativelanguage.googleapis.com/').origin.toLowerCase();
  for (const baseUrl of ['https://generativelanguage.googleapis.com', 'https://generativelanguage.googleapis.com/', 'https://generativelanguage.googleapis.com/v1beta']) {
    assert.equal(tokenScopeOf(baseUrl), legacyKey, baseUrl);
  }
});

test('the key follows the path requests are sent to', () => {
  for (const baseUrl of ['https://gw.example/a', 'https://gw.example/a/', 'https://gw.example/a/v1beta', 'https://gw.example/a/v1beta/', 'https://gw.example']) {
    const request = apiUrl(baseUrl, 'models');
    assert.equal(`${tokenScopeOf(baseUrl)}/v1beta/models`, `${request.origin}${request.pathname}`, baseUrl);
  }
});

test('the label names host and path', () => {
  assert.equal(tokenScopeLabel('https://gateway.ai.cloudflare.com/v1/acct/gw/google-ai-studio/v1beta'), 'gateway.ai.cloudflare.com/v1/acct/gw/google-ai-studio');
  assert.equal(tokenScopeLabel('http://127.0.0.1:8787/'), '127.0.0.1:8787');
});

test('tokens a header cannot carry are refused with a reason that does not repeat them', () => {
  assert.equal(tokenProblem('AIzaSyA-valid_token.123'), undefined);
  assert.equal(tokenProblem('sk-ünïcödé-latin1'), undefined, 'Latin-1 is carried by HTTP headers');
  for (const [token, reason] of [
    ['', /Enter a token/],
    ['abc\r\nX-Injected: 1', /line break/],
    ['abc\ndef', /line break/],
    ['abc\u0000def', /control/],
    ['abc\u007fdef', /control/],
    ['abc\u0085def', /control/],
    ['“abc”', /Latin-1/],
    ['abc🦊', /Latin-1/],
  ] as const) {
    const problem = tokenProblem(token);
    assert.ok(problem, `accepted ${JSON.stringify(token)}`);
    assert.match(problem, reason);
    if (token.length > 2) assert.ok(!problem.includes(token), 'the reason repeats the token');
  }
});
