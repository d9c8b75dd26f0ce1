// Parses a generateContent answer as it arrives: the small JSON is kept as values, each image's base64 is decoded on the way.
import { describeBytes, ImageError } from './errors';
import type { ApiContent, ApiPart } from './imageJob';
import { excerpt } from './response';
import { Base64Stream } from './streamBase64';

/** Stands in the answer's JSON where an image's base64 `data` was: the bytes went to a file instead. */
export class StreamedImageData {
  constructor(readonly id: number) {}

  /** Sending the placeholder to the API would be a silent bug: the caller must put the image back first. */
  toJSON(): never {
    throw new Error(`Streamed image ${this.id} must be replaced by its bytes before the conversation is sent.`);
  }
}

/** One `inlineData.data` string of the answer, decoding while it arrives. */
export interface StreamedImagePart {
  readonly id: number;
  readonly data: Base64Stream;
  /** The part turned out to be a `thought: true` draft (the flag may come before or after the data). */
  draft: boolean;
}

type Role = 'root' | 'candidates' | 'candidate' | 'content' | 'parts' | 'part' | 'inline' | 'other';

interface Frame {
  readonly value: Record<string, unknown> | unknown[];
  readonly role: Role;
  /** For objects: the key whose value comes next. */
  key: string;
}

const enum State {
  Value,
  FirstValue,
  FirstKey,
  Key,
  Colon,
  AfterValue,
  String,
  Literal,
  Done,
}

const enum StringRole {
  Key,
  Value,
  Data,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** Kept from the start of the body for messages about answers that are not JSON. */
const HEAD_BYTES = 4096;
const MAX_DEPTH = 256;
const DATA_ESCAPES: Record<string, string> = { '/': '/', '"': '"', '\\': '\\', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

export class AnswerStream {
  /** Every image data string met so far, in order. */
  readonly images: StreamedImagePart[] = [];
  /** Body bytes pushed so far. */
  received = 0;

  private state = State.Value;
  private readonly stack: Frame[] = [];
  private root: unknown;
  private stringRole = StringRole.Value;
  /** Raw bytes of the key or small value being read (escapes still in). */
  private pieces: Buffer[] = [];
  private escaped = false;
  private afterBackslash = false;
  /** The escape sequence being read inside a data string (after the backslash). */
  private escape = '';
  /** Base64 text of the current data string not yet handed to the decoder. */
  private pendingData = '';
  private image: StreamedImagePart | undefined;
  private literal = '';
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  /** Where the next quote / backslash is in the chunk being read, so long strings are scanned once. */
  private scanned: Buffer | undefined;
  private quoteAt = -1;
  private backslashAt = -1;

  constructor(
    private readonly host: string,
    private readonly status: number,
  ) {}

  /** Reads the next piece of the body; throws malformedAnswer as soon as it cannot be JSON. */
  push(chunk: Uint8Array): void {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.received += bytes.length;
    if (this.headBytes < HEAD_BYTES) {
      const start = Buffer.from(bytes.subarray(0, HEAD_BYTES - this.headBytes));
      this.head.push(start);
      this.headBytes += start.length;
    }
    const end = bytes.length;
    let pos = 0;
    while (pos < end) {
      if (this.state === State.String) {
        pos = this.readString(bytes, pos);
      } else if (this.state === State.Literal) {
        pos = this.readLiteral(bytes, pos);
      } else {
        const byte = bytes[pos];
        if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) this.structural(byte);
        pos++;
      }
    }
    this.flushData();
  }

  /** The body ended: returns the answer's JSON (image data replaced by StreamedImageData), or throws if it is incomplete. */
  end(): unknown {
    if (this.state === State.Literal) this.finishLiteral();
    if (this.state !== State.Done) {
      if (this.received === 0 || (this.state === State.Value && this.stack.length === 0)) throw this.notJson();
      throw new ImageError(
        'malformedAnswer',
        `The answer from ${this.host} stopped before it was complete (${describeBytes(this.received)} arrived). Try again.`,
        { host: this.host, status: this.status },
      );
    }
    return this.root;
  }

  /** The first bytes of the body as text, for messages. */
  headText(): string {
    return Buffer.concat(this.head).toString('utf8');
  }

  private structural(byte: number): void {
    switch (this.state) {
      case State.FirstValue:
        if (byte === 0x5d) {
          this.close();
          return;
        }
        this.startValue(byte);
        return;
      case State.Value:
        this.startValue(byte);
        return;
      case State.FirstKey:
        if (byte === 0x7d) {
          this.close();
          return;
        }
        if (byte === QUOTE) return this.startString(StringRole.Key);
        throw this.notJson();
      case State.Key:
        if (byte === QUOTE) return this.startString(StringRole.Key);
        throw this.notJson();
      case State.Colon:
        if (byte !== 0x3a) throw this.notJson();
        this.state = State.Value;
        return;
      case State.AfterValue: {
        const top = this.stack[this.stack.length - 1];
        const isArray = Array.isArray(top.value);
        if (byte === 0x2c) this.state = isArray ? State.Value : State.Key;
        else if ((byte === 0x5d && isArray) || (byte === 0x7d && !isArray)) this.close();
        else throw this.notJson();
        return;
      }
      default:
        throw this.notJson();
    }
  }

  private startValue(byte: number): void {
    if (byte === 0x7b) this.open({}, State.FirstKey);
    else if (byte === 0x5b) this.open([], State.FirstValue);
    else if (byte === QUOTE) this.startString(this.atImageData() ? StringRole.Data : StringRole.Value);
    else if (byte === 0x2d || (byte >= 0x30 && byte <= 0x39) || byte === 0x74 || byte === 0x66 || byte === 0x6e) {
      this.literal = String.fromCharCode(byte);
      this.state = State.Literal;
    } else throw this.notJson();
  }

  private open(value: Record<string, unknown> | unknown[], next: State): void {
    if (this.stack.length >= MAX_DEPTH) throw this.notJson();
    const role = this.roleOf(Array.isArray(value));
    this.attach(value);
    this.stack.push({ value, role, key: '' });
    this.state = next;
  }

  /** Where a new container sits in the generateContent shape; only the path to image parts matters. */
  private roleOf(isArray: boolean): Role {
    const parent = this.stack[this.stack.length - 1];
    if (!parent) return isArray ? 'other' : 'root';
    const key = parent.key;
    switch (parent.role) {
      case 'root':
        return isArray && key === 'candidates' ? 'candidates' : 'other';
      case 'candidates':
        return isArray ? 'other' : 'candidate';
      case 'candidate':
        return !isArray && key === 'content' ? 'content' : 'other';
      case 'content':
        return isArray && key === 'parts' ? 'parts' : 'other';
      case 'parts':
        return isArray ? 'other' : 'part';
      case 'part':
        return !isArray && (key === 'inlineData' || key === 'inline_data') ? 'inline' : 'other';
      default:
        return 'other';
    }
  }

  private atImageData(): boolean {
    const top = this.stack[this.stack.length - 1];
    return top !== undefined && top.role === 'inline' && top.key === 'data';
  }

  private attach(value: unknown): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) {
      this.root = value;
    } else if (Array.isArray(top.value)) {
      top.value.push(value);
    } else if (top.key === '__proto__') {
      Object.defineProperty(top.value, top.key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      top.value[top.key] = value;
    }
  }

  private addValue(value: unknown): void {
    this.attach(value);
    this.state = this.stack.length === 0 ? State.Done : State.AfterValue;
  }

  private close(): void {
    const frame = this.stack.pop();
    if (frame?.role === 'part') this.checkDraft(frame.value as Record<string, unknown>);
    this.state = this.stack.length === 0 ? State.Done : State.AfterValue;
  }

  /** A part whose `thought: true` came after its data: its image is a draft after all. */
  private checkDraft(part: Record<string, unknown>): void {
    if (part.thought !== true) return;
    for (const key of ['inlineData', 'inline_data']) {
      const inline = part[key];
      const data = inline && typeof inline === 'object' ? (inline as Record<string, unknown>).data : undefined;
      if (data instanceof StreamedImageData) this.markDraft(this.images[data.id]);
    }
  }

  private markDraft(image: StreamedImagePart): void {
    image.draft = true;
    image.data.discard();
  }

  private startString(role: StringRole): void {
    this.state = State.String;
    this.stringRole = role;
    this.pieces = [];
    this.escaped = false;
    this.afterBackslash = false;
    if (role === StringRole.Data) {
      const image: StreamedImagePart = { id: this.images.length, data: new Base64Stream(), draft: false };
      this.images.push(image);
      this.image = image;
      const part = this.stack[this.stack.length - 2]?.value as Record<string, unknown> | undefined;
      if (part?.thought === true) this.markDraft(image);
    }
  }

  private readString(bytes: Buffer, pos: number): number {
    const end = bytes.length;
    const data = this.stringRole === StringRole.Data;
    while (pos < end) {
      if (this.afterBackslash) {
        if (data) {
          pos = this.readDataEscape(bytes, pos);
          continue;
        }
        // Plain strings keep escapes raw: JSON.parse resolves them when the string ends.
        this.afterBackslash = false;
        this.pieces.push(bytes.subarray(pos, pos + 1));
        pos++;
        continue;
      }
      const quote = this.nextQuote(bytes, pos);
      const backslash = this.nextBackslash(bytes, pos);
      if (backslash >= 0 && (quote < 0 || backslash < quote)) {
        if (data) this.dataText(bytes, pos, backslash);
        else {
          this.pieces.push(bytes.subarray(pos, backslash + 1));
          this.escaped = true;
        }
        this.afterBackslash = true;
        pos = backslash + 1;
        continue;
      }
      const stop = quote < 0 ? end : quote;
      if (data) this.dataText(bytes, pos, stop);
      else if (stop > pos) this.pieces.push(bytes.subarray(pos, stop));
      if (quote < 0) return end;
      this.finishString();
      return quote + 1;
    }
    return pos;
  }

  private nextQuote(bytes: Buffer, pos: number): number {
    if (this.scanned !== bytes) this.rescan(bytes);
    if (this.quoteAt !== -1 && this.quoteAt < pos) this.quoteAt = bytes.indexOf(QUOTE, pos);
    return this.quoteAt;
  }

  private nextBackslash(bytes: Buffer, pos: number): number {
    if (this.scanned !== bytes) this.rescan(bytes);
    if (this.backslashAt !== -1 && this.backslashAt < pos) this.backslashAt = bytes.indexOf(BACKSLASH, pos);
    return this.backslashAt;
  }

  private rescan(bytes: Buffer): void {
    this.scanned = bytes;
    this.quoteAt = bytes.indexOf(QUOTE, 0);
    this.backslashAt = bytes.indexOf(BACKSLASH, 0);
  }

  private dataText(bytes: Buffer, start: number, stop: number): void {
    if (stop > start && !this.image?.data.discarding) this.pendingData += bytes.toString('latin1', start, stop);
  }

  /** `\/`, `\n`, `\u002b`…: resolved to the character the base64 decoder then judges. */
  private readDataEscape(bytes: Buffer, pos: number): number {
    const end = bytes.length;
    while (pos < end) {
      this.escape += String.fromCharCode(bytes[pos++]);
      const kind = this.escape[0];
      if (kind === 'u' && this.escape.length < 5) continue;
      let char: string | undefined;
      if (kind === 'u') {
        const hex = this.escape.slice(1);
        char = /^[0-9a-fA-F]{4}$/.test(hex) ? String.fromCharCode(parseInt(hex, 16)) : undefined;
      } else {
        char = DATA_ESCAPES[kind];
      }
      if (char === undefined) throw this.notJson();
      if (!this.image?.data.discarding) this.pendingData += char;
      this.escape = '';
      this.afterBackslash = false;
      return pos;
    }
    return pos;
  }

  private flushData(): void {
    if (this.pendingData === '' || !this.image) return;
    this.image.data.feed(this.pendingData);
    this.pendingData = '';
  }

  private finishString(): void {
    if (this.stringRole === StringRole.Data) {
      const image = this.image as StreamedImagePart;
      this.flushData();
      image.data.finish();
      this.image = undefined;
      this.addValue(new StreamedImageData(image.id));
      return;
    }
    const raw = this.pieces.length === 1 ? this.pieces[0] : Buffer.concat(this.pieces);
    this.pieces = [];
    let text: string;
    if (this.escaped) {
      try {
        text = JSON.parse(`"${raw.toString('utf8')}"`) as string;
      } catch {
        throw this.notJson();
      }
    } else {
      text = raw.toString('utf8');
    }
    if (this.stringRole === StringRole.Key) {
      this.stack[this.stack.length - 1].key = text;
      this.state = State.Colon;
    } else {
      this.addValue(text);
    }
  }

  private readLiteral(bytes: Buffer, pos: number): number {
    const end = bytes.length;
    const start = pos;
    while (pos < end) {
      const byte = bytes[pos];
      if (byte === 0x2c || byte === 0x5d || byte === 0x7d || byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) break;
      pos++;
    }
    this.literal += bytes.toString('latin1', start, pos);
    if (this.literal.length > 64) throw this.notJson();
    if (pos < end) this.finishLiteral();
    return pos;
  }

  private finishLiteral(): void {
    let value: unknown;
    try {
      value = JSON.parse(this.literal);
    } catch {
      throw this.notJson();
    }
    this.literal = '';
    this.addValue(value);
  }

  private notJson(): ImageError {
    const text = this.headText();
    const what = text.trim() === '' ? 'an empty answer' : `an answer that is not JSON ("${excerpt(text)}")`;
    return new ImageError(
      'malformedAnswer',
      `${this.host} sent ${what} (HTTP ${this.status}). Check that geminiImage.baseUrl points at a Gemini-compatible API, or try again.`,
      { host: this.host, status: this.status },
    );
  }
}

/**
 * The conversation with each streamed image's placeholder replaced by its base64 (`dataOf`), for sending it back.
 * Images `dataOf` does not have (drafts, unreadable data) leave their part; a part with nothing else to say goes too.
 */
export function withImageData(conversation: readonly ApiContent[], dataOf: (placeholder: StreamedImageData) => string | undefined): ApiContent[] {
  return conversation.map((turn) => ({
    ...turn,
    parts: turn.parts.flatMap((part): ApiPart[] => {
      let result: ApiPart = part;
      for (const key of ['inlineData', 'inline_data']) {
        const inline = part[key];
        if (!inline || typeof inline !== 'object') continue;
        const data = (inline as Record<string, unknown>).data;
        if (!(data instanceof StreamedImageData)) continue;
        const base64 = dataOf(data);
        if (base64 === undefined) {
          const rest = { ...result };
          delete rest[key];
          result = rest;
        } else {
          result = { ...result, [key]: { ...(inline as Record<string, unknown>), data: base64 } };
        }
      }
      const says = ['text', 'inlineData', 'inline_data', 'functionCall', 'functionResponse', 'fileData', 'file_data'].some((key) => key in result);
      return says ? [result] : [];
    }),
  }));
}

/** The placeholders of the streamed images a conversation refers to. */
export function streamedImages(conversation: readonly ApiContent[]): StreamedImageData[] {
  const ids: StreamedImageData[] = [];
  for (const turn of conversation) {
    for (const part of turn.parts) {
      for (const key of ['inlineData', 'inline_data']) {
        const inline = part[key];
        const data = inline && typeof inline === 'object' ? (inline as Record<string, unknown>).data : undefined;
        if (data instanceof StreamedImageData) ids.push(data);
      }
    }
  }
  return ids;
}
