// Makes text from outside (model answers, provider errors, settings, file names) safe to show in a VS Code notification.

/** Longest outside text a notification shows; the log keeps the whole of it. */
export const MAX_NOTIFICATION_TEXT = 2000;

/**
 * The text as a notification may show it: VS Code turns `[label](command:…)` (also https: and file:) in notification
 * messages and progress titles into a clickable link, so no `](` survives; control characters go, line breaks become
 * spaces, and the text is cut to `max` characters first so that nothing here is slower than the input is long.
 */
export function notificationText(text: string, max = MAX_NOTIFICATION_TEXT): string {
  const cut = text.length > max ? `${text.slice(0, endOfWholeCharacter(text, max - 1))}…` : text;
  return (
    cut
      .replace(/[\r\n\t\u2028\u2029]+/g, ' ')
      // Controls removed before links are broken: "]\u0000(" must not become "](".
      .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g, '')
      .replace(/\]\(/g, '] (')
  );
}

/** `at`, or one less when `at` would split a surrogate pair. */
function endOfWholeCharacter(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}
