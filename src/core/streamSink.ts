// Feeds an answer stream's images into files as their bytes arrive: sniffed first, drafts and bad data thrown away.
import { asDiskError } from './diskError';
import type { GeneratedImage, ImageFormat } from './imageJob';
import { mimeTypeOf, sniffImageType } from './sniff';
import { AnswerStream, type StreamedImageData, type StreamedImagePart } from './streamAnswer';

/** One image being written (a temporary file, or memory); nothing is visible to the user until the caller commits it. */
export interface ImageSinkFile {
  /** Appends image bytes in order. The first call carries at least the first 64 bytes (or the whole image). */
  write(bytes: Uint8Array): Promise<void>;
  /** Appends several pieces in order, like write() for each; files do it in one system call (fewer round trips). */
  writeMany?(pieces: readonly Uint8Array[]): Promise<void>;
  /** True when write() and writeMany() keep no reference to the bytes once they resolve, so their memory may be reused. */
  readonly releasesBytes?: boolean;
  /** Every byte arrived and was valid. */
  end(): Promise<void>;
  /** Throws away whatever was written. Safe to call at any time, more than once. */
  abort(): Promise<void>;
}

export interface NewImage {
  /** Sniffed from the first bytes, whatever the answer declared. */
  readonly format: ImageFormat;
  readonly mimeType: string;
}

/** Where the images of one answer go; the caller decides (a temporary file next to the final place, or memory). */
export interface ImageSink<F extends ImageSinkFile> {
  open(image: NewImage): Promise<F>;
  /** Where the files go (a folder), named when the file system fails: the failure is about the disk, not the network. */
  readonly place?: string;
  /**
   * The answer broke (cut, stalled, too large) after this image had arrived whole and not as a draft: the caller
   * may keep it, because an image that arrived is never thrown away. Files it keeps must be committed or aborted by it.
   */
  salvage?(image: StreamedImage<F>): Promise<void>;
}

/** An image that arrived completely, in its file (not yet committed). */
export interface StreamedImage<F> extends NewImage {
  readonly file: F;
  /** Image bytes. */
  readonly size: number;
  /** What stands for it in the conversation; undefined for an image that came as a data URL or a link in text. */
  readonly placeholder?: StreamedImageData;
  /** Where it was downloaded from, for an image the provider sent as a link. */
  readonly link?: string;
}

/** What became of one image data string of the answer. */
export type StreamedOutcome<F> =
  | { readonly image: StreamedImage<F> }
  | { readonly problem: 'noData' | 'invalid' | 'notImage' | 'overLimit'; readonly type?: string }
  | { readonly draft: true };

const OUTPUT_FORMATS: readonly string[] = ['png', 'jpeg', 'webp', 'gif'];
/**
 * Images saved from one answer at most (models send one to a few): a hostile or broken provider sending thousands
 * would otherwise make thousands of files and open descriptors. Further images are skipped and counted.
 */
export const MAX_IMAGES_PER_ANSWER = 16;
/** Enough bytes to tell every format apart. */
const SNIFF_BYTES = 64;
/** Decoded bytes are written in batches at least this large: fewer, larger writes cost less than many small ones. */
const WRITE_BYTES = 1 << 20;

interface Track<F extends ImageSinkFile> {
  readonly part: StreamedImagePart;
  file?: F;
  format?: ImageFormat;
  /** The write in flight: at most one per image, so memory stays bounded while the network is read. */
  writing?: Promise<void>;
  failure?: unknown;
  outcome?: StreamedOutcome<F>;
}

/** Drives an AnswerStream: push the body's chunks, then end(); abortAll() on any failure removes every file. */
export class ImageStreamWriter<F extends ImageSinkFile> {
  readonly answer: AnswerStream;
  private readonly tracks: Track<F>[] = [];
  private readonly extra: F[] = [];
  private broken: unknown;
  /** Images given a file (and not dropped since), toward MAX_IMAGES_PER_ANSWER. */
  private kept = 0;
  /** Images skipped because the answer held more than MAX_IMAGES_PER_ANSWER. */
  skipped = 0;
  /** Tracks before this index are finished for good. */
  private settled = 0;

  constructor(
    private readonly sink: ImageSink<F>,
    private readonly host: string,
    status: number,
  ) {
    this.answer = new AnswerStream(host, status);
  }

  async push(chunk: Uint8Array): Promise<void> {
    if (this.broken) return;
    try {
      this.answer.push(chunk);
    } catch (error) {
      // Not JSON: nothing more is parsed or written, but the body is still counted, so an oversize answer says so.
      this.broken = error;
      await this.abortAll();
      return;
    }
    await this.pump();
  }

  /** The body ended: finishes every image and returns the answer's JSON. */
  async end(): Promise<unknown> {
    if (this.broken) throw this.broken;
    const json = this.answer.end();
    await this.pump();
    return json;
  }

  /** What became of the image whose data the StreamedImageData with this id stands for. */
  outcome(id: number): StreamedOutcome<F> {
    const track = this.tracks[id];
    return track?.outcome ?? { problem: 'invalid' };
  }

  /** Writes an image that came whole (a data URL inside text) through the same sink; undefined when over the cap. */
  async saveWhole(image: GeneratedImage): Promise<StreamedImage<F> | undefined> {
    if (this.kept >= MAX_IMAGES_PER_ANSWER) {
      this.skipped++;
      return undefined;
    }
    this.kept++;
    const file = await this.onDisk(() => this.sink.open({ format: image.format, mimeType: image.mimeType }));
    this.extra.push(file);
    await this.onDisk(async () => {
      await file.write(image.bytes);
      await file.end();
    });
    return { file, format: image.format, mimeType: image.mimeType, size: image.bytes.length, ...(image.link ? { link: image.link } : {}) };
  }

  /** Images that arrived whole and are not drafts, as far as the answer got. */
  completed(): StreamedImage<F>[] {
    return this.tracks.flatMap((track) => (track.outcome && 'image' in track.outcome && !track.part.draft ? [track.outcome.image] : []));
  }

  /** Removes every file this answer opened, except those handed on (`keep`). */
  async abortAll(keep: ReadonlySet<F> = new Set()): Promise<void> {
    const files: F[] = [...this.extra];
    for (const track of this.tracks) {
      if (track.writing) await track.writing;
      if (track.file) files.push(track.file);
    }
    await Promise.all(files.filter((file) => !keep.has(file)).map((file) => file.abort().catch(() => undefined)));
  }

  private async pump(): Promise<void> {
    const images = this.answer.images;
    for (let index = this.settled; index < images.length; index++) {
      const part = images[index];
      const track = (this.tracks[part.id] ??= { part });
      await this.advance(track);
    }
    // A part is closed once a later part's image began, so its outcome can no longer change (not even to a draft):
    // it is not visited again, and an answer with thousands of images costs no more per chunk than one with a few.
    while (this.settled < images.length - 2 && this.tracks[this.settled]?.outcome) this.settled++;
  }

  private async advance(track: Track<F>): Promise<void> {
    const { part } = track;
    const data = part.data;
    if (part.draft) {
      if (!track.outcome || !('draft' in track.outcome)) {
        await this.drop(track);
        track.outcome = { draft: true };
      }
      return;
    }
    if (track.outcome) return;
    if (data.invalid) {
      await this.drop(track);
      track.outcome = { problem: 'invalid' };
      return;
    }
    if (!track.file) {
      if (data.size < SNIFF_BYTES && !data.complete) return;
      if (data.size === 0) {
        track.outcome = { problem: 'noData' };
        return;
      }
      const type = sniffImageType(data.peek(SNIFF_BYTES));
      if (!type || !OUTPUT_FORMATS.includes(type)) {
        data.discard();
        track.outcome = { problem: 'notImage', type };
        return;
      }
      if (this.kept >= MAX_IMAGES_PER_ANSWER) {
        data.discard();
        this.skipped++;
        track.outcome = { problem: 'overLimit', type };
        return;
      }
      this.kept++;
      track.format = type as ImageFormat;
      const format = track.format;
      track.file = await this.onDisk(() => this.sink.open({ format, mimeType: mimeTypeOf(format) }));
      if (track.file.releasesBytes) data.recycleTaken();
    }
    const file = track.file;
    const pieces = data.take(WRITE_BYTES);
    if (pieces.length > 0) {
      await this.settle(track);
      track.writing = writeAll(file, pieces).then(
        () => data.recycle(pieces),
        (error: unknown) => {
          track.failure = asDiskError(error, this.place, this.host);
        },
      );
    }
    if (data.complete) {
      await this.settle(track);
      await this.onDisk(() => file.end());
      const format = track.format as ImageFormat;
      track.outcome = { image: { file, format, mimeType: mimeTypeOf(format), size: data.size } };
    }
  }

  /** Waits for the write in flight and surfaces its failure. */
  private async settle(track: Track<F>): Promise<void> {
    if (track.writing) await track.writing;
    track.writing = undefined;
    if (track.failure !== undefined) throw track.failure;
  }

  private async drop(track: Track<F>): Promise<void> {
    track.part.data.discard();
    if (track.writing) await track.writing;
    track.writing = undefined;
    const file = track.file;
    track.file = undefined;
    if (file) this.kept--;
    await file?.abort();
  }

  private get place(): string {
    return this.sink.place ?? 'the output folder';
  }

  /** Runs a file operation, reporting a file-system failure as a disk failure naming the folder. */
  private async onDisk<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw asDiskError(error, this.place, this.host);
    }
  }
}

async function writeAll(file: ImageSinkFile, pieces: readonly Uint8Array[]): Promise<void> {
  if (pieces.length > 1 && file.writeMany) {
    await file.writeMany(pieces);
    return;
  }
  for (const piece of pieces) await file.write(piece);
}

/** Keeps the images in memory (for callers that want bytes, and file systems node:fs cannot reach). */
export class MemoryImageFile implements ImageSinkFile {
  private pieces: Uint8Array[] = [];
  bytes: Uint8Array = new Uint8Array(0);
  aborted = false;

  constructor(readonly image: NewImage) {}

  async write(bytes: Uint8Array): Promise<void> {
    this.pieces.push(bytes);
  }

  async end(): Promise<void> {
    this.bytes = this.pieces.length === 1 ? this.pieces[0] : new Uint8Array(Buffer.concat(this.pieces));
    this.pieces = [];
  }

  async abort(): Promise<void> {
    this.aborted = true;
    this.pieces = [];
    this.bytes = new Uint8Array(0);
  }
}

export const memorySink: ImageSink<MemoryImageFile> = {
  open: async (image) => new MemoryImageFile(image),
};
