// Writes a streamed image into a temporary file next to its final place, keeping room for the recipe after the header.
import { constants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { recipeOffset } from './recipe';
import type { ImageSinkFile, NewImage } from './streamSink';

/** The most bytes held back looking for the end of a JPEG's JFIF/EXIF segments (two full segments). */
const MAX_HEAD_BYTES = 2 * 65_540;

/** Where the recipe goes in this format and the padded bytes that hold its place until the end of the answer. */
export interface RecipePlace {
  /** The least offset; in a JPEG the slot goes after the JFIF/EXIF segments (recipeOffset). */
  readonly offset: number;
  readonly bytes: Uint8Array;
}

export class TempImageFile implements ImageSinkFile {
  /** Every write is on disk (or copied into the head) when it resolves: the decoder may reuse the memory. */
  readonly releasesBytes = true;
  /** Image bytes (without the recipe). */
  size = 0;
  private position = 0;
  /** The first bytes, held until the header is known to be where the recipe may follow it. */
  private head: Uint8Array[] = [];
  private headBytes = 0;
  private headDone = false;
  /** How many head bytes to hold before looking for the recipe's place again. */
  private nextHeadCheck: number;
  /** Where the recipe slot was written, when it was. */
  private slotAt: number | undefined;
  private closed = false;
  private removed = false;

  private constructor(
    readonly path: string,
    readonly image: NewImage,
    private handle: FileHandle,
    private readonly recipe: RecipePlace | undefined,
  ) {
    this.nextHeadCheck = recipe?.offset ?? 0;
  }

  /** Creates the file (never replacing one) with a name nobody else uses. */
  static async create(path: string, image: NewImage, recipe: RecipePlace | undefined): Promise<TempImageFile> {
    const handle = await fs.open(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o644);
    return new TempImageFile(path, image, handle, recipe);
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.size += bytes.length;
    if (this.headDone) {
      await this.append(bytes);
      return;
    }
    this.headBytes += bytes.length;
    if (this.headBytes < this.nextHeadCheck) {
      // Kept past this call: a copy, as the caller may reuse the memory (releasesBytes).
      this.head.push(Uint8Array.from(bytes));
      return;
    }
    const head = this.head.length === 0 ? bytes : Buffer.concat([...this.head, bytes]);
    // A JPEG's recipe follows its JFIF/EXIF segments: hold the head until they have arrived (or it is too long to wait).
    const place = this.recipe ? recipeOffset(this.image.format, head) : undefined;
    if (place !== 'more' || this.headBytes >= MAX_HEAD_BYTES) {
      this.head = [head];
      await this.writeHead(place);
    } else {
      this.head = [head === bytes ? Uint8Array.from(bytes) : head];
      // Looked at again once it has doubled, so a header arriving in tiny pieces is still joined in linear time.
      this.nextHeadCheck = Math.min(MAX_HEAD_BYTES, this.headBytes * 2);
    }
  }

  async writeMany(pieces: readonly Uint8Array[]): Promise<void> {
    if (!this.headDone) {
      for (const piece of pieces) await this.write(piece);
      return;
    }
    for (const piece of pieces) this.size += piece.length;
    await this.appendAll(pieces);
  }

  /** Every byte is written: the descriptor is closed now, so an answer with many images never holds many open. */
  async end(): Promise<void> {
    if (!this.headDone) {
      this.head = [Buffer.concat(this.head)];
      await this.writeHead(this.recipe ? recipeOffset(this.image.format, this.head[0]) : undefined);
    }
    await this.close();
  }

  /** The length the final recipe must have (that of the slot), or undefined when the file has no slot. */
  get recipeLength(): number | undefined {
    return this.slotAt === undefined ? undefined : this.recipe?.bytes.length;
  }

  /** Replaces the placeholder recipe with the final one (same length) in place; false if there is no slot. */
  async writeRecipe(bytes: Uint8Array | undefined): Promise<boolean> {
    if (this.slotAt === undefined || !bytes || bytes.length !== this.recipe?.bytes.length) return false;
    if (this.removed) return false;
    if (this.closed) {
      // Reopened for this one write (the file was closed when its last byte arrived).
      this.handle = await fs.open(this.path, 'r+');
      this.closed = false;
    }
    await this.handle.write(bytes, 0, bytes.length, this.slotAt);
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }

  async abort(): Promise<void> {
    await this.close().catch(() => undefined);
    if (this.removed) return;
    this.removed = true;
    await fs.rm(this.path, { force: true });
  }

  /** Writes the held head with the recipe slot at `place` (the least offset when the header never completed). */
  private async writeHead(place: number | 'more' | undefined): Promise<void> {
    this.headDone = true;
    const head = this.head.length === 1 ? this.head[0] : Buffer.concat(this.head);
    this.head = [];
    const recipe = this.recipe;
    const offset = typeof place === 'number' ? place : (recipe?.offset ?? 0);
    if (recipe && head.length >= offset && headerAllowsRecipe(this.image.format, head)) {
      this.slotAt = offset;
      await this.appendAll([head.subarray(0, offset), recipe.bytes, head.subarray(offset)]);
    } else {
      await this.append(head);
    }
  }

  /** Appends the pieces in one system call where the file system allows (a short write goes on from where it stopped). */
  private async appendAll(pieces: readonly Uint8Array[]): Promise<void> {
    let rest = pieces.filter((piece) => piece.length > 0);
    while (rest.length > 0) {
      const { bytesWritten } = await this.handle.writev(rest, this.position);
      this.position += bytesWritten;
      rest = piecesAfter(rest, bytesWritten);
    }
  }

  private async append(bytes: Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, this.position);
      done += bytesWritten;
      this.position += bytesWritten;
    }
  }
}

/** What is left of `pieces` once their first `count` bytes were written (a short write is rare but allowed). Exported for tests. */
export function piecesAfter(pieces: readonly Uint8Array[], count: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  let skip = count;
  for (const piece of pieces) {
    if (skip >= piece.length) {
      skip -= piece.length;
      continue;
    }
    rest.push(skip > 0 ? piece.subarray(skip) : piece);
    skip = 0;
  }
  return rest;
}

/** A PNG whose first chunk is IHDR (the recipe follows it), or a JPEG starting with SOI. */
function headerAllowsRecipe(format: string, head: Uint8Array): boolean {
  if (format === 'png') return head.length >= 33 && head[12] === 0x49 && head[13] === 0x48 && head[14] === 0x44 && head[15] === 0x52 && head[11] === 13;
  if (format === 'jpeg') return head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
  return false;
}

/** The file-system calls placing a file needs; tests replace `link` to act like a file system without hard links. */
export interface PlacingFileSystem {
  link(existing: string, target: string): Promise<void>;
  copyFile(source: string, target: string, mode: number): Promise<void>;
  rm(path: string, options: { force: boolean }): Promise<void>;
}

const nodeFileSystem: PlacingFileSystem = { link: fs.link, copyFile: fs.copyFile, rm: fs.rm };
/** link() failures that mean "this file system has no hard links here", not "the name is taken". */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS', 'EMLINK']);

/**
 * Gives the finished temporary file its final name without ever replacing a file: a hard link fails if the name
 * is taken; where links are not supported, an exclusive copy (COPYFILE_EXCL creates the target only if it is
 * absent, atomically, so a file another program creates at the same moment is never overwritten).
 */
export async function placeWithoutOverwrite(temporary: string, target: string, files: PlacingFileSystem = nodeFileSystem): Promise<'placed' | 'taken'> {
  try {
    await files.link(temporary, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return 'taken';
    if (!NO_HARD_LINKS.has(code ?? '')) throw error;
    try {
      await files.copyFile(temporary, target, constants.COPYFILE_EXCL);
    } catch (copyError) {
      if ((copyError as NodeJS.ErrnoException).code === 'EEXIST') return 'taken';
      throw copyError;
    }
  }
  await files.rm(temporary, { force: true });
  return 'placed';
}
