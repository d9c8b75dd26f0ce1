// How numbers, sizes and times read in the panel.

const numbers = new Intl.NumberFormat('en-US');

export function formatNumber(value: number): string {
  return numbers.format(value);
}

/** "1.2 MB": the units the 20 MB request limit is stated in. */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1).replace(/\.0$/, '')} KB`;
  return `${(bytes / 1_000_000).toFixed(1).replace(/\.0$/, '')} MB`;
}

/** "8 s", "2 min 5 s". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds - minutes * 60;
  return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
}

/** "just now", "5 min ago", "3 h ago", or the date for older images. */
export function formatAge(iso: string, now = Date.now()): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return '';
  const minutes = Math.floor((now - time) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  if (minutes < 24 * 60) return `${Math.floor(minutes / 60)} h ago`;
  return new Date(time).toLocaleDateString();
}

/** The size the API sees: base64 grows each image by a third; the JSON around it adds a little. */
export function estimateRequestBytes(promptBytes: number, referenceBytes: readonly number[]): number {
  return promptBytes + referenceBytes.reduce((sum, bytes) => sum + Math.ceil(bytes / 3) * 4, 0) + 1024;
}

export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

export function truncate(text: string, length: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
