// The MCP server's environment: defaults like the extension's, and a clear problem (never the key) for each bad value.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_MODEL } from '../../src/core/defaults';
import { readMcpConfig } from '../../src/mcp/config';
import { SENTINEL_TOKEN } from '../sentinel';

const cwd = path.resolve('/projects/site');

function problem(env: Record<string, string>): string {
  const read = readMcpConfig({ GEMINI_API_KEY: SENTINEL_TOKEN, ...env }, cwd);
  assert.ok('problem' in read, `accepted ${JSON.stringify(env)}`);
  assert.ok(!read.problem.includes(SENTINEL_TOKEN));
  return read.problem;
}

test('only the key is needed: Google\'s API, the default model and generated-images in the working folder', () => {
  const read = readMcpConfig({ GEMINI_API_KEY: ` ${SENTINEL_TOKEN} ` }, cwd);
  assert.ok('config' in read);
  assert.equal(read.config.token, SENTINEL_TOKEN);
  assert.deepEqual(read.config.provider, { baseUrl: 'https://generativelanguage.googleapis.com', authHeader: 'auto', timeoutSeconds: 600, maxRetries: 3 });
  assert.equal(read.config.model, DEFAULT_MODEL);
  assert.equal(read.config.outputFolder, path.join(cwd, 'generated-images'));
});

test('a gateway, its header, a model and an output folder are taken from the environment', () => {
  const read = readMcpConfig(
    { GEMINI_API_KEY: 'k', GEMINI_BASE_URL: 'https://api.ezmodel.cloud/', GEMINI_AUTH_HEADER: 'Bearer', GEMINI_IMAGE_MODEL: 'gemini-3-pro-image', GEMINI_IMAGE_OUTPUT: 'docs/img' },
    cwd,
  );
  assert.ok('config' in read);
  assert.equal(read.config.provider.baseUrl, 'https://api.ezmodel.cloud');
  assert.equal(read.config.provider.authHeader, 'bearer');
  assert.equal(read.config.model, 'gemini-3-pro-image');
  assert.equal(read.config.outputFolder, path.join(cwd, 'docs', 'img'));
});

test('a missing key, a bad URL or header, and an output folder outside the working folder are refused', () => {
  const missing = readMcpConfig({ GEMINI_API_KEY: '  ' }, cwd);
  assert.ok('problem' in missing && /GEMINI_API_KEY is not set/.test(missing.problem));
  assert.match(problem({ GEMINI_BASE_URL: 'generativelanguage' }), /GEMINI_BASE_URL .* is not a URL/);
  assert.match(problem({ GEMINI_BASE_URL: 'ftp://example.com' }), /must start with https/);
  assert.match(problem({ GEMINI_BASE_URL: `https://example.com/?key=${SENTINEL_TOKEN}` }), /must not carry credentials or a query/);
  assert.match(problem({ GEMINI_AUTH_HEADER: 'basic' }), /GEMINI_AUTH_HEADER must be/);
  assert.match(problem({ GEMINI_IMAGE_OUTPUT: '../elsewhere' }), /GEMINI_IMAGE_OUTPUT: .*leaves/);
  assert.match(problem({ GEMINI_IMAGE_OUTPUT: '/tmp/images' }), /GEMINI_IMAGE_OUTPUT: .*absolute/);
});
