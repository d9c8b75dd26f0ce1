// Which proxy a request uses: VS Code's http.* settings, the environment, and noProxy matching.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bypassesProxy, describeProxy, proxyFor, resolveProxySettings } from '../../src/core/proxy';

describe('resolveProxySettings', () => {
  test('http.proxy wins over the environment; noProxy lists are merged', () => {
    const settings = resolveProxySettings(
      { proxy: 'http://settings:3128', noProxy: ['internal.example'], proxyStrictSSL: true, proxyAuthorization: 'Basic abc' },
      { HTTPS_PROXY: 'http://env:8080', NO_PROXY: 'localhost, .corp.example', no_proxy: 'internal.example' },
    );
    assert.deepEqual(settings, {
      url: 'http://settings:3128',
      noProxy: ['internal.example', 'localhost', '.corp.example'],
      strictSSL: true,
      authorization: 'Basic abc',
    });
  });

  test('HTTPS_PROXY, https_proxy, then HTTP_PROXY from the environment', () => {
    assert.equal(resolveProxySettings({}, { https_proxy: 'http://lower:1', HTTP_PROXY: 'http://plain:2' })?.url, 'http://lower:1');
    assert.equal(resolveProxySettings({ proxy: '' }, { HTTP_PROXY: 'http://plain:2' })?.url, 'http://plain:2');
  });

  test('no proxy and strict TLS: undefined; strictSSL off is kept even without a proxy', () => {
    assert.equal(resolveProxySettings({ proxy: '', noProxy: [] }, {}), undefined);
    assert.deepEqual(resolveProxySettings({ proxyStrictSSL: false }, {}), { url: undefined, noProxy: [], strictSSL: false });
  });
});

describe('noProxy matching', () => {
  const url = (text: string) => new URL(text);

  test('exact host, domain and subdomains, leading dot or *.', () => {
    assert.ok(bypassesProxy(url('https://api.example.com/x'), ['api.example.com']));
    assert.ok(bypassesProxy(url('https://api.example.com/x'), ['example.com']));
    assert.ok(bypassesProxy(url('https://api.example.com/x'), ['.example.com']));
    assert.ok(bypassesProxy(url('https://api.example.com/x'), ['*.example.com']));
    assert.ok(!bypassesProxy(url('https://badexample.com/x'), ['example.com']));
    assert.ok(!bypassesProxy(url('https://example.org/x'), ['example.com', '']));
  });

  test('ports, "*", CIDR and IPv6', () => {
    assert.ok(bypassesProxy(url('https://gw.example:8443/'), ['gw.example:8443']));
    assert.ok(!bypassesProxy(url('https://gw.example/'), ['gw.example:8443']));
    assert.ok(bypassesProxy(url('https://gw.example/'), ['gw.example:443']));
    assert.ok(bypassesProxy(url('https://anything/'), ['*']));
    assert.ok(bypassesProxy(url('http://10.1.2.3:8080/'), ['10.0.0.0/8']));
    assert.ok(!bypassesProxy(url('http://11.1.2.3/'), ['10.0.0.0/8']));
    assert.ok(bypassesProxy(url('http://[::1]:8080/'), ['[::1]']));
  });

  test('noProxy loopback names cover every loopback address', () => {
    for (const entry of ['localhost', '127.0.0.1', '::1', '<local>']) {
      assert.ok(bypassesProxy(url('http://127.0.0.1:8080/'), [entry]), entry);
      assert.ok(bypassesProxy(url('http://localhost:8080/'), [entry]), entry);
    }
  });

  test('proxyFor: loopback never goes through the proxy, whatever noProxy says; look-alike names do', () => {
    const settings = { url: 'http://proxy.corp:3128', noProxy: [], strictSSL: true };
    for (const target of ['http://127.0.0.1:8787/', 'http://127.9.8.7/', 'https://localhost:8443/', 'http://gemini.localhost/', 'http://[::1]:8787/', 'http://127.1:8787/']) {
      assert.equal(proxyFor(target, settings), undefined, target);
    }
    for (const target of ['http://127.attacker.example/', 'https://localhost.example/', 'http://10.0.0.1/']) {
      assert.equal(proxyFor(target, settings), 'http://proxy.corp:3128', target);
    }
  });

  test('proxyFor: a bare host:port proxy means http://; bypassed hosts go direct', () => {
    const settings = { url: 'proxy.corp:3128', noProxy: ['.internal'], strictSSL: true };
    assert.equal(proxyFor('https://generativelanguage.googleapis.com/v1beta', settings), 'http://proxy.corp:3128');
    assert.equal(proxyFor('https://gw.internal/', settings), undefined);
    assert.equal(proxyFor('https://gw.internal/', undefined), undefined);
    assert.equal(describeProxy('http://user:secret@proxy.corp:3128'), 'proxy.corp:3128');
  });
});
