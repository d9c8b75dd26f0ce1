// Model ids and base URLs as users paste them (spaces, a "models/" prefix, the bare googleapis.com host, junk).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GATEWAY_MAX_REQUEST_BYTES, GOOGLE_MAX_REQUEST_BYTES, isAutoModel, isGoogleBaseUrl, maxRequestBytesFor, normalizeModelId } from '../../src/core/models';

test('a model id is trimmed before its "models/" prefix is dropped', () => {
  assert.equal(normalizeModelId('  models/gemini-3-pro-image  '), 'gemini-3-pro-image');
  assert.equal(normalizeModelId(' gemini-3-pro-image\n'), 'gemini-3-pro-image');
});

test('a blank model setting means auto', () => {
  assert.equal(isAutoModel('   '), true);
  assert.equal(isAutoModel(' Auto '), true);
  assert.equal(isAutoModel('gemini-3-pro-image'), false);
});

test('Google\'s own hosts are recognised, the bare googleapis.com and a pasted no-break space included', () => {
  assert.equal(isGoogleBaseUrl('https://googleapis.com'), true);
  assert.equal(isGoogleBaseUrl('https://generativelanguage.googleapis.com\u00a0'), true);
  assert.equal(isGoogleBaseUrl('https://googleapis.com.evil.example'), false);
});

test('a base URL that is no URL is not Google\'s: the gateway request limit applies', () => {
  assert.equal(isGoogleBaseUrl('generativelanguage.googleapis.com'), false);
  assert.equal(isGoogleBaseUrl('not a url'), false);
  assert.equal(maxRequestBytesFor('not a url'), GATEWAY_MAX_REQUEST_BYTES);
  assert.equal(maxRequestBytesFor('https://googleapis.com'), GOOGLE_MAX_REQUEST_BYTES);
});
