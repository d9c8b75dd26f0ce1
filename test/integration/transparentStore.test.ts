// The workspace.fs image store (remote and virtual workspaces) putting a transparent PNG in place of the image it saved.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { embedRecipe, readRecipe, type Recipe } from '../../src/core/recipe';
import { MemoryImageFile } from '../../src/core/streamSink';
import { ImageWriter } from '../../src/imageWriter';
import { keyedRgba } from '../server/imageFactory';
import { encodeRgbaPng } from '../../src/core/image/backgroundRemoval';
import * as jpeg from 'jpeg-js';

/** A flat in-memory file system under one scheme: enough of FileSystemProvider for the store. */
class MemoryFileSystem implements vscode.FileSystemProvider {
  readonly files = new Map<string, Uint8Array>();
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }
  stat(uri: vscode.Uri): vscode.FileStat {
    const file = this.files.get(uri.path);
    const folder = [...this.files.keys()].some((path) => path.startsWith(`${uri.path}/`)) || uri.path === '/out';
    if (!file && !folder) throw vscode.FileSystemError.FileNotFound(uri);
    return { type: file ? vscode.FileType.File : vscode.FileType.Directory, ctime: 0, mtime: 0, size: file?.length ?? 0 };
  }
  readDirectory(): [string, vscode.FileType][] {
    return [...this.files.keys()].map((path) => [path.split('/').pop()!, vscode.FileType.File]);
  }
  createDirectory(): void {}
  readFile(uri: vscode.Uri): Uint8Array {
    const file = this.files.get(uri.path);
    if (!file) throw vscode.FileSystemError.FileNotFound(uri);
    return file;
  }
  writeFile(uri: vscode.Uri, content: Uint8Array, options: { create: boolean; overwrite: boolean }): void {
    if (this.files.has(uri.path) && !options.overwrite) throw vscode.FileSystemError.FileExists(uri);
    this.files.set(uri.path, content);
  }
  delete(uri: vscode.Uri): void {
    this.files.delete(uri.path);
  }
  rename(from: vscode.Uri, to: vscode.Uri, options: { overwrite: boolean }): void {
    const file = this.readFile(from);
    if (this.files.has(to.path) && !options.overwrite) throw vscode.FileSystemError.FileExists(to);
    this.files.set(to.path, file);
    this.files.delete(from.path);
  }
  dispose(): void {
    this.emitter.dispose();
  }
}

const SCHEME = 'gis-transparent-test';
const recipe: Recipe = { version: 1, prompt: 'a paper plane', model: 'm', references: [], createdAt: '2026-01-01T00:00:00.000Z', background: 'transparent' };

function names(files: MemoryFileSystem): string[] {
  return [...files.files.keys()].sort();
}

suite('Transparent backgrounds in a virtual workspace folder', () => {
  let memory: MemoryFileSystem;
  let registration: vscode.Disposable;

  setup(() => {
    memory = new MemoryFileSystem();
    registration = vscode.workspace.registerFileSystemProvider(SCHEME, memory);
  });

  teardown(() => {
    registration.dispose();
    memory.dispose();
  });

  test('a JPEG is replaced by a PNG under a free name, the JPEG removed; a PNG is replaced where it is', async () => {
    const store = new ImageWriter().storeFor(vscode.Uri.from({ scheme: SCHEME, path: '/out' }));
    const rgba = keyedRgba([255, 0, 255], 16, 16);
    const transparent = embedRecipe(encodeRgbaPng({ width: 16, height: 16, data: rgba }), 'png', recipe);
    // A file of the user's with the PNG name is never touched: the replacement takes the next free name.
    memory.files.set('/out/a-paper-plane.png', new TextEncoder().encode('the user\'s own file'));

    const jpegFile = new MemoryImageFile({ format: 'jpeg', mimeType: 'image/jpeg' });
    await jpegFile.write(jpeg.encode({ data: rgba, width: 16, height: 16 }, 90).data);
    await jpegFile.end();
    const savedJpeg = await store.commit(jpegFile, 'a-paper-plane', recipe);
    assert.equal(savedJpeg.path, '/out/a-paper-plane.jpg');
    const replaced = await store.replace(savedJpeg, transparent, 'png', 'a-paper-plane');
    assert.equal(replaced.path, '/out/a-paper-plane-2.png');
    assert.deepEqual(names(memory), ['/out/a-paper-plane-2.png', '/out/a-paper-plane.png'], 'the JPEG or a temporary file was left');
    assert.equal(new TextDecoder().decode(memory.files.get('/out/a-paper-plane.png')), 'the user\'s own file');
    assert.equal(readRecipe(memory.files.get('/out/a-paper-plane-2.png')!)?.background, 'transparent');

    const pngFile = new MemoryImageFile({ format: 'png', mimeType: 'image/png' });
    await pngFile.write(encodeRgbaPng({ width: 16, height: 16, data: rgba }));
    await pngFile.end();
    const savedPng = await store.commit(pngFile, 'a-rocket', recipe);
    const again = await store.replace(savedPng, transparent, 'png', 'a-rocket');
    assert.equal(again.path, savedPng.path);
    assert.deepEqual(names(memory), ['/out/a-paper-plane-2.png', '/out/a-paper-plane.png', '/out/a-rocket.png']);
    assert.deepEqual(memory.files.get('/out/a-rocket.png'), transparent);
  });
});
