// File names for generated images: a short slug of the prompt that is safe on Windows, macOS and Linux.

const MAX_SLUG_LENGTH = 48;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/;

/** "A cyberpunk fox, in the forest!" -> "a-cyberpunk-fox-in-the-forest". */
export function slugFromPrompt(prompt: string, maxLength = MAX_SLUG_LENGTH): string {
  const words = prompt
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
  let slug = '';
  for (const word of words) {
    const next = slug === '' ? word : `${slug}-${word}`;
    if (next.length > maxLength) {
      if (slug === '') slug = word.slice(0, maxLength);
      break;
    }
    slug = next;
  }
  if (slug === '') return 'image';
  return WINDOWS_RESERVED.test(slug) ? `${slug}-image` : slug;
}

/** The n-th candidate name for a slug: "fox.png", "fox-2.png", "fox-3.png", … */
export function candidateName(slug: string, extension: string, attempt: number): string {
  return attempt <= 1 ? `${slug}.${extension}` : `${slug}-${attempt}.${extension}`;
}

/** The file extension for a sniffed image format. */
export function extensionFor(format: 'png' | 'jpeg' | 'webp' | 'gif'): string {
  return format === 'jpeg' ? 'jpg' : format;
}

const MAX_NAME_ATTEMPTS = 10_000;
const REMEMBERED_BASE_NAMES = 256;

/**
 * Finds free names `<slug>.<ext>`, `<slug>-2.<ext>`… for images, never two at once for the same name. It remembers
 * the last number placed per folder and base name, so the 100th image of a run tries two names (the plain one, in
 * case the user cleared the folder, then the next number), not a hundred.
 */
export class FreeNamePicker {
  /** Names claimed by saves in flight, so two images finishing together never pick the same name. */
  private readonly claimed = new Set<string>();
  private readonly lastPlaced = new Map<string, number>();

  /**
   * Tries candidate names until `place` puts the file there without overwriting anything (it returns false when the
   * name is taken). Resolves to the name used, or undefined when none of the candidates was free.
   */
  async placeFree(folder: string, slug: string, extension: string, place: (name: string) => Promise<boolean>): Promise<string | undefined> {
    const base = `${folder}\u0000${slug}.${extension}`;
    for (const attempt of this.attempts(base)) {
      const name = candidateName(slug, extension, attempt);
      const key = `${folder}\u0000${name}`;
      // Claim the name before the first await, so an image finishing at the same moment skips it.
      if (this.claimed.has(key)) continue;
      this.claimed.add(key);
      try {
        if (await place(name)) {
          this.remember(base, attempt);
          return name;
        }
      } finally {
        this.claimed.delete(key);
      }
    }
    return undefined;
  }

  private *attempts(base: string): Generator<number> {
    yield 1;
    for (let attempt = Math.max(2, (this.lastPlaced.get(base) ?? 0) + 1); attempt <= MAX_NAME_ATTEMPTS; attempt++) yield attempt;
  }

  private remember(base: string, attempt: number): void {
    if (attempt <= (this.lastPlaced.get(base) ?? 0)) return;
    this.lastPlaced.delete(base);
    this.lastPlaced.set(base, attempt);
    if (this.lastPlaced.size > REMEMBERED_BASE_NAMES) {
      const oldest = this.lastPlaced.keys().next().value;
      if (oldest !== undefined) this.lastPlaced.delete(oldest);
    }
  }
}
