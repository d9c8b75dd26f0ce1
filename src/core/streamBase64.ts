// Decodes one base64 string that arrives in pieces, validating the alphabet as strictly as decodeBase64 does.

/** Decoded bytes go into blocks this large, handed out as ranges without copying; the first is small (most data is). */
const FIRST_BLOCK_BYTES = 64 * 1024;
const BLOCK_BYTES = 1 << 20;

export class Base64Stream {
  /** Decoded byte count so far. */
  size = 0;
  /** A character outside the base64 alphabet (or padding in the middle) was seen: the data is unusable. */
  invalid = false;
  /** Set when nobody wants the bytes (a draft, a non-image): the text is no longer decoded or kept. */
  discarding = false;
  /** The closing quote arrived and the tail was decoded. */
  complete = false;

  /** Up to 3 characters that do not make a whole quad yet (plus padding once it started). */
  private carry = '';
  private padded = false;
  private block: Buffer | undefined;
  private used = 0;
  private handedOut = 0;
  /** Filled blocks (or their unhanded tails) waiting to be taken. */
  private readonly ready: Buffer[] = [];
  /**
   * Set once whoever takes the bytes gives them back (recycle()): blocks are then reused instead of allocated anew,
   * which spares a 4K image ~17 fresh 1 MiB allocations, their page faults and the garbage collections they cause.
   */
  private recycling = false;
  /** Per block (by its memory): ranges handed out and not yet given back. */
  private readonly lent = new Map<ArrayBufferLike, number>();
  /** Blocks no longer being filled, waiting for their ranges to come back. */
  private readonly retired = new Map<ArrayBufferLike, Buffer>();
  /** Blocks free for reuse. */
  private spare: Buffer[] = [];

  /** Adds base64 text (JSON escapes already resolved). */
  feed(text: string): void {
    if (this.invalid || this.discarding || text.length === 0) return;
    if (this.padded) {
      this.feedAfterPadding(text);
      return;
    }
    const all = this.carry.length > 0 ? this.carry + text : text;
    const whole = all.length - (all.length % 4);
    if (whole > 0) {
      const expected = (whole / 4) * 3;
      const target = this.room(expected);
      // Node skips characters outside the alphabet and stops at padding, so a short count means a closer look.
      const written = target.write(whole === all.length ? all : all.substring(0, whole), this.used, expected, 'base64');
      if (written !== expected) {
        this.slowFeed(all);
        return;
      }
      this.used += written;
      this.size += written;
    }
    this.carry = whole === all.length ? '' : all.substring(whole);
  }

  /** The string ended: decodes the last (possibly unpadded) quad. */
  finish(): void {
    this.complete = true;
    if (this.invalid || this.discarding || this.carry === '') return;
    const tail = decodeTail(this.carry);
    this.carry = '';
    if (!tail) {
      this.invalid = true;
      return;
    }
    const target = this.room(tail.length);
    target.set(tail, this.used);
    this.used += tail.length;
    this.size += tail.length;
  }

  /** The first `count` decoded bytes (fewer if fewer came), for sniffing; only before anything was taken. */
  peek(count: number): Uint8Array {
    const pieces = [...this.ready, ...(this.block ? [this.block.subarray(this.handedOut, this.used)] : [])];
    const joined = Buffer.concat(pieces);
    return joined.subarray(0, Math.min(count, joined.length));
  }

  /** Decoded ranges not yet handed out, if at least `minimum` bytes are waiting (or the data is complete). */
  take(minimum: number): Buffer[] {
    const current = this.block ? this.used - this.handedOut : 0;
    const waiting = this.ready.reduce((sum, piece) => sum + piece.length, 0) + current;
    if (waiting === 0 || (waiting < minimum && !this.complete)) return [];
    const pieces = this.ready.splice(0);
    if (this.block && current > 0) {
      pieces.push(this.block.subarray(this.handedOut, this.used));
      this.handedOut = this.used;
    }
    if (this.recycling) for (const piece of pieces) this.lent.set(piece.buffer, (this.lent.get(piece.buffer) ?? 0) + 1);
    return pieces;
  }

  /** From now on, whoever takes ranges gives each back with recycle() once nothing refers to its bytes any more. */
  recycleTaken(): void {
    this.recycling = true;
  }

  /** These ranges (from take()) are no longer used by anyone: their blocks may be filled again. */
  recycle(pieces: readonly Buffer[]): void {
    if (!this.recycling || this.discarding) return;
    for (const piece of pieces) {
      const memory = piece.buffer;
      const left = (this.lent.get(memory) ?? 1) - 1;
      if (left > 0) {
        this.lent.set(memory, left);
        continue;
      }
      this.lent.delete(memory);
      const block = this.retired.get(memory);
      // A retired block's unhanded tail may still wait in `ready`; it comes back later.
      if (!block || this.ready.some((waiting) => waiting.buffer === memory)) continue;
      this.retired.delete(memory);
      if (this.spare.length < 2 && block.length >= BLOCK_BYTES) this.spare.push(block);
    }
  }

  /** Stops decoding and drops what was kept. */
  discard(): void {
    this.discarding = true;
    this.ready.length = 0;
    this.block = undefined;
    this.carry = '';
    this.lent.clear();
    this.retired.clear();
    this.spare = [];
  }

  private room(bytes: number): Buffer {
    if (!this.block || this.block.length - this.used < bytes) {
      const old = this.block;
      if (old && this.used > this.handedOut) this.ready.push(old.subarray(this.handedOut, this.used));
      if (old && this.recycling) {
        // Reusable at once if every range of it already came back, else once they do.
        if (this.lent.has(old.buffer) || this.ready.some((waiting) => waiting.buffer === old.buffer)) this.retired.set(old.buffer, old);
        else if (this.spare.length < 2 && old.length >= BLOCK_BYTES) this.spare.push(old);
      }
      const size = Math.max(old ? BLOCK_BYTES : FIRST_BLOCK_BYTES, bytes);
      const reuse = this.spare.findIndex((block) => block.length >= size);
      this.block = reuse >= 0 ? this.spare.splice(reuse, 1)[0] : Buffer.allocUnsafe(size);
      this.used = 0;
      this.handedOut = 0;
    }
    return this.block;
  }

  /** Whitespace (a `\n` escape) is skipped; padding may only end the data; anything else is invalid. */
  private slowFeed(all: string): void {
    const clean = all.replace(/[\t\n\r ]+/g, '');
    const padAt = clean.indexOf('=');
    const body = padAt < 0 ? clean : clean.substring(0, padAt);
    const padding = padAt < 0 ? '' : clean.substring(padAt);
    if (!/^[A-Za-z0-9+/_-]*$/.test(body) || !/^=*$/.test(padding)) {
      this.invalid = true;
      return;
    }
    const whole = body.length - (body.length % 4);
    if (whole > 0) {
      const expected = (whole / 4) * 3;
      const target = this.room(expected);
      const written = target.write(body.substring(0, whole), this.used, expected, 'base64');
      if (written !== expected) {
        this.invalid = true;
        return;
      }
      this.used += written;
      this.size += written;
    }
    this.carry = body.substring(whole) + padding;
    if (padding !== '') this.padded = true;
  }

  private feedAfterPadding(text: string): void {
    const clean = text.replace(/[\t\n\r ]+/g, '');
    if (!/^=*$/.test(clean) || this.carry.length + clean.length > 4) {
      this.invalid = true;
      return;
    }
    this.carry += clean;
  }
}

/** The last quad: 2 or 3 characters unpadded, or 4 with padding; one lone character is never valid. */
function decodeTail(tail: string): Uint8Array | undefined {
  const clean = tail.replace(/[\t\n\r ]+/g, '');
  if (clean === '') return new Uint8Array(0);
  const body = clean.replace(/=+$/, '');
  const padded = body.length !== clean.length;
  if (!/^[A-Za-z0-9+/_-]{2,3}$/.test(body) || (padded && clean.length !== 4)) return undefined;
  return Buffer.from(body, 'base64');
}
