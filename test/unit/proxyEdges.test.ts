// The noProxy rules' edges that mutation testing found untested: loopback forms, CIDR ranges, ports, brackets, lists.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackHost as isLoopback } from '../../src/core/loopback';
import { bypassesProxy, describeProxy, proxyFor, resolveProxySettings } from '../../src/core/proxy';

const bypass = (url: string, ...noProxy: string[]): boolean => bypassesProxy(new URL(url), noProxy);

test('loopback: localhost, *.localhost, ::1 with or without brackets, all of 127.0.0.0/8; nothing else', () => {
  for (const host of ['localhost', 'LOCALHOST', 'app.localhost', '::1', '[::1]', '127.0.0.1', '127.200.3.4']) assert.equal(isLoopback(host), true, host);
  for (const host of ['localhost.example', 'notlocalhost', '::2', '127.0.0', '127.0.0.1.example', 'x127.0.0.1', '10.127.0.1', '1270.0.0.1']) {
    assert.equal(isLoopback(host), false, host);
  }
  assert.equal(bypass('http://127.9.9.9:8080/x', '<local>'), true);
  assert.equal(bypass('http://[::1]:8080/x', 'localhost'), true);
  assert.equal(bypass('http://gw.example/x', 'localhost'), false);
});

test('CIDR entries: inside and outside the range, /0 and /32, and malformed ranges never match', () => {
  assert.equal(bypass('http://10.1.2.3/', '10.0.0.0/8'), true);
  assert.equal(bypass('http://11.1.2.3/', '10.0.0.0/8'), false);
  assert.equal(bypass('http://192.168.1.77/', '192.168.1.0/24'), true);
  assert.equal(bypass('http://192.168.2.77/', '192.168.1.0/24'), false);
  assert.equal(bypass('http://8.8.8.8/', '0.0.0.0/0'), true);
  assert.equal(bypass('http://10.0.0.1/', '10.0.0.1/32'), true);
  assert.equal(bypass('http://10.0.0.2/', '10.0.0.1/32'), false);
  for (const entry of ['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/x', '10.0.0.256/8', '10.0.0/8', 'a.b.c.d/8']) {
    assert.equal(bypass('http://10.0.0.1/', entry), false, entry);
  }
  assert.equal(bypass('http://gw.example/', '10.0.0.0/8'), false, 'a name is never inside a range');
});

test('host and port entries: the port must match the URL\'s (default 443 / 80); brackets for IPv6', () => {
  assert.equal(bypass('https://gw.example/', 'gw.example:443'), true);
  assert.equal(bypass('https://gw.example/', 'gw.example:80'), false);
  assert.equal(bypass('http://gw.example/', 'gw.example:80'), true);
  assert.equal(bypass('http://gw.example:8080/', 'gw.example:8080'), true);
  assert.equal(bypass('http://[fd00::1]:8080/', '[fd00::1]:8080'), true);
  assert.equal(bypass('http://[fd00::1]:8080/', '[fd00::1]:9090'), false);
  assert.equal(bypass('http://[fd00::1]/', '[fd00::1]'), true);
  assert.equal(bypass('http://api.gw.example/', '*.gw.example'), true);
  assert.equal(bypass('http://api.gw.example./', '.gw.example'), true, 'a trailing dot on the host');
  assert.equal(bypass('http://evilgw.example/', 'gw.example'), false);
  assert.equal(bypass('http://gw.example/', '.', '*.', ' ', ''), false, 'empty domains match nothing');
  assert.equal(bypass('http://gw.example/', ' GW.EXAMPLE '), true);
});

test('settings: http.proxy over the environment, lists merged without duplicates, strict TLS alone needs no settings', () => {
  const settings = resolveProxySettings(
    { proxy: '  ', noProxy: ['a.example', 'b.example'], proxyStrictSSL: true },
    { https_proxy: ' http://env-proxy:3128 ', NO_PROXY: 'b.example, c.example', no_proxy: 'c.example\td.example' },
  );
  assert.deepEqual(settings, { url: 'http://env-proxy:3128', noProxy: ['a.example', 'b.example', 'c.example', 'd.example'], strictSSL: true });
  assert.equal(resolveProxySettings({}, {}), undefined);
  assert.deepEqual(resolveProxySettings({ proxyStrictSSL: false, proxyAuthorization: 'Basic x' }, {}), { url: undefined, noProxy: [], strictSSL: false, authorization: 'Basic x' });
  assert.equal(proxyFor('https://gw.example/v1', settings), 'http://env-proxy:3128');
  assert.equal(proxyFor('https://c.example/v1', settings), undefined);
  assert.equal(proxyFor(new URL('https://gw.example'), resolveProxySettings({ proxy: 'corp:8080' }, {})), 'http://corp:8080');
  assert.equal(describeProxy('http://user:secret@corp.example:8080'), 'corp.example:8080');
  assert.equal(describeProxy('http://['), 'the configured proxy');
});
