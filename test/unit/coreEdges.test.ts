// Edges of the core's small helpers that mutation testing found untested: image sniffing, origins, the redactor.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostOf, isPlainHttpToRemoteHost, originOf } from '../../src/core/origin';
import { isInside } from '../../src/core/outputFolder';
import { SecretRedactor } from '../../src/core/redact';
import { sniffImageType } from '../../src/core/sniff';
import { scopeOfTokenKey, tokenKeyFor } from '../../src/core/tokenVault';

/** An ISO-BMFF `ftyp` box of `size` bytes (major brand, minor version, compatible brands), then `after` bytes. */
function ftypBox(size: number, major: string, compatible: readonly string[], after = Buffer.alloc(0)): Buffer {
  const body = Buffer.concat([Buffer.from(major), Buffer.alloc(4), ...compatible.map((brand) => Buffer.from(brand))]);
  const header = Buffer.alloc(8);
  header.writeUInt32BE(size, 0);
  header.write('ftyp', 4);
  const box = Buffer.concat([header, body]);
  return Buffer.concat([box, Buffer.alloc(Math.max(0, size - box.length)), after]);
}

test('WebP needs both RIFF and WEBP; GIF87a and GIF89a are both GIF; a signature filling the whole file counts', () => {
  const riff = (form: string, tag = 'RIFF'): Buffer => Buffer.concat([Buffer.from(tag), Buffer.alloc(4), Buffer.from(form), Buffer.alloc(16)]);
  assert.equal(sniffImageType(riff('WEBP')), 'webp');
  assert.equal(sniffImageType(riff('WAVE')), undefined, 'a WAV file is no image');
  assert.equal(sniffImageType(riff('WEBP', 'RIFX')), undefined);
  assert.equal(sniffImageType(Buffer.from('GIF87a')), 'gif');
  assert.equal(sniffImageType(Buffer.from('GIF89a')), 'gif');
  assert.equal(sniffImageType(Buffer.from('GIF89')), undefined);
});

test('BMP needs its 26-byte header', () => {
  const bmp = (length: number): Buffer => Buffer.concat([Buffer.from('BM'), Buffer.alloc(length - 2)]);
  assert.equal(sniffImageType(bmp(26)), 'bmp');
  assert.equal(sniffImageType(bmp(25)), undefined);
  assert.equal(sniffImageType(Buffer.concat([Buffer.from('XM'), Buffer.alloc(40)])), undefined);
});

test('HEIF brands are read from the ftyp box only, any compatible brand counts, AVIF is refused', () => {
  assert.equal(sniffImageType(ftypBox(24, 'isom', ['mif1', 'iso8'])), 'heif', 'one compatible HEIF brand is enough');
  assert.equal(sniffImageType(ftypBox(20, 'heic', [])), 'heic');
  // A brand right after a 16-byte box belongs to the next box, not to the file type.
  assert.equal(sniffImageType(ftypBox(16, 'isom', [], Buffer.from('mif1heic'))), undefined);
  // A box longer than 255 bytes: its size has a non-zero third byte.
  const long = ftypBox(280, 'isom', ['iso8', 'mp41', 'mif1']);
  assert.equal(long[2], 1);
  assert.equal(sniffImageType(long), 'heif');
  assert.equal(sniffImageType(ftypBox(24, 'avif', ['mif1', 'miaf'])), undefined);
  assert.equal(sniffImageType(ftypBox(24, 'avis', ['msf1', 'miaf'])), undefined);
  assert.equal(sniffImageType(ftypBox(15, 'heic', []).subarray(0, 15)), undefined, 'too short for a box');
  assert.equal(sniffImageType(ftypBox(16, 'heic', [])), 'heic', 'a box with only its major brand');
  assert.equal(sniffImageType(Buffer.concat([Buffer.alloc(4), Buffer.from('ftyx'), Buffer.from('heic'), Buffer.alloc(8)])), undefined);
});

test('SVG: markup at the start (after a BOM), even with stray bytes; an <svg> far down a text file is not enough', () => {
  assert.equal(sniffImageType(Buffer.from('\uFEFF<svg xmlns="http://www.w3.org/2000/svg"></svg>')), 'svg');
  assert.equal(sniffImageType(Buffer.concat([Buffer.from('<svg>'), Buffer.from([0xff, 0xfe, 0xc3])])), 'svg', 'invalid UTF-8 after the tag');
  assert.equal(sniffImageType(Buffer.from(`<?xml version="1.0"?><!--${' '.repeat(2000)}--><svg></svg>`)), undefined);
  assert.equal(sniffImageType(Buffer.from('hello <svg> world')), undefined);
  assert.equal(sniffImageType(Buffer.from('\n  <svg viewBox="0 0 1 1"></svg>')), 'svg', 'whitespace before the markup');
});

test('origins: a pasted URL with a non-breaking space still has its origin and host', () => {
  assert.equal(originOf('\u00a0https://Gw.Example/v1\u00a0'), 'https://gw.example');
  assert.equal(hostOf('\u00a0https://gw.example:8443/v1'), 'gw.example:8443');
  assert.equal(isPlainHttpToRemoteHost('\u00a0http://gw.example'), true);
  assert.equal(isPlainHttpToRemoteHost('not a url'), false);
});

test('plain http to this machine is fine: 127.x.x.x and *.localhost; anything else is remote', () => {
  assert.equal(isPlainHttpToRemoteHost('http://127.8.9.10:8787'), false);
  assert.equal(isPlainHttpToRemoteHost('http://studio.localhost'), false);
  assert.equal(isPlainHttpToRemoteHost('http://localhost.example'), true);
  assert.equal(isPlainHttpToRemoteHost('http://10.0.0.127'), true);
});

test('a workspace root written with trailing slashes still contains its files', () => {
  assert.equal(isInside('/ws//', '/ws/images/a.png'), true);
  assert.equal(isInside('/ws//', '/wsx/a.png'), false);
});

test('the redactor ignores tokens under 4 characters (they would mangle words) and keeps longer ones', () => {
  const redactor = new SecretRedactor();
  redactor.addSecret('abc');
  redactor.addSecret('wxyz');
  assert.equal(redactor.redact('abc wxyz'), 'abc [redacted]');
});

test('token keys: one per scope, and only our own keys name a scope', () => {
  const key = tokenKeyFor('https://gw.example');
  assert.equal(key, 'geminiImage.token:https://gw.example');
  assert.equal(scopeOfTokenKey(key ?? ''), 'https://gw.example');
  assert.equal(scopeOfTokenKey('other.extension:geminiImage.token:https://gw.example'), undefined);
  assert.equal(tokenKeyFor('file:///tmp'), undefined);
});
