// Tokens are keyed by origin, and plain-http tokens to remote hosts are detected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackHost } from '../../src/core/loopback';
import { hostOf, isPlainHttpToRemoteHost, originOf } from '../../src/core/origin';

test('originOf keys by scheme, host and port, ignoring paths and case', () => {
  assert.equal(originOf('https://API.ezmodel.cloud/v1beta/'), 'https://api.ezmodel.cloud');
  assert.equal(originOf('http://127.0.0.1:8787'), 'http://127.0.0.1:8787');
  assert.notEqual(originOf('http://127.0.0.1:8787'), originOf('http://127.0.0.1:8788'));
  assert.notEqual(originOf('http://example.com'), originOf('https://example.com'));
  assert.equal(originOf('ftp://example.com'), undefined);
  assert.equal(originOf('not a url'), undefined);
});

test('hostOf shows the host with a non-default port', () => {
  assert.equal(hostOf('https://generativelanguage.googleapis.com'), 'generativelanguage.googleapis.com');
  assert.equal(hostOf('http://127.0.0.1:8787/'), '127.0.0.1:8787');
});

test('plain http is risky only off this machine', () => {
  assert.equal(isPlainHttpToRemoteHost('http://gateway.example.com'), true);
  assert.equal(isPlainHttpToRemoteHost('http://192.168.1.10:8080'), true);
  assert.equal(isPlainHttpToRemoteHost('https://gateway.example.com'), false);
  assert.equal(isPlainHttpToRemoteHost('http://localhost:8787'), false);
  assert.equal(isPlainHttpToRemoteHost('http://127.0.0.1:8787'), false);
  assert.equal(isPlainHttpToRemoteHost('http://[::1]:8787'), false);
});

test('only real loopback hosts count as this machine', () => {
  for (const host of ['localhost', 'LOCALHOST', 'gemini.localhost', '127.0.0.1', '127.1.2.3', '127.255.255.255', '::1', '[::1]', 'localhost.']) {
    assert.equal(isLoopbackHost(host), true, host);
  }
  for (const host of ['127.attacker.example', '127.0.0.1.nip.io', '127.0.0.256', '1127.0.0.1', '128.0.0.1', 'localhost.example', 'notlocalhost', '::2', '10.0.0.1', '']) {
    assert.equal(isLoopbackHost(host), false, host);
  }
});

test('a host that merely starts with 127. still gets the plain-http warning', () => {
  assert.equal(isPlainHttpToRemoteHost('http://127.attacker.example:8787'), true);
  assert.equal(isPlainHttpToRemoteHost('http://127.0.0.1.nip.io/'), true);
  assert.equal(isPlainHttpToRemoteHost('http://127.8.9.10:8787'), false);
  assert.equal(isPlainHttpToRemoteHost('http://127.1:8787'), false, 'the URL parser reads 127.1 as 127.0.0.1');
  assert.equal(isPlainHttpToRemoteHost('http://images.localhost:8787'), false);
});
