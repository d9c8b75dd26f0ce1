// Turns a file-system failure while saving an image into a message about the disk, never about the network.
import { ImageError, isImageError } from './errors';

/** What each OS error means for the user, and what to do about it. */
const DISK_PROBLEMS: Readonly<Record<string, string>> = {
  ENOSPC: 'the disk is full: free some space, or choose another geminiImage.outputFolder',
  EDQUOT: 'the disk quota is used up: free some space, or choose another geminiImage.outputFolder',
  ENOTDIR: 'a part of the folder path is a file, not a folder: rename that file, or choose another geminiImage.outputFolder',
  EISDIR: 'a folder has the name the image needed: choose another geminiImage.outputFolder',
  EACCES: 'permission denied: make the folder writable, or choose another geminiImage.outputFolder',
  EPERM: 'the operation is not permitted there: make the folder writable, or choose another geminiImage.outputFolder',
  EROFS: 'the folder is on a read-only file system: choose another geminiImage.outputFolder',
  EMFILE: 'too many files are open in VS Code: close some editors or extensions and try again',
  ENFILE: 'too many files are open on this computer: close some programs and try again',
  ENAMETOOLONG: 'the path is too long: choose a shorter geminiImage.outputFolder',
  ENOENT: 'the folder disappeared while the image was saved: try again',
  EIO: 'the disk reported an input/output error: check the disk and try again',
  ELOOP: 'the folder path has a loop of symbolic links: choose another geminiImage.outputFolder',
  EBUSY: 'the file is busy (locked by another program): try again',
  ETXTBSY: 'the file is busy (locked by another program): try again',
};

/** True for a Node.js error raised by the file system (it carries an errno `code` and a `syscall`). */
export function isFileSystemError(error: unknown): error is NodeJS.ErrnoException {
  if (!(error instanceof Error) || isImageError(error)) return false;
  const { code, syscall } = error as NodeJS.ErrnoException;
  return typeof code === 'string' && code in DISK_PROBLEMS && (typeof syscall === 'string' || (error as { path?: unknown }).path !== undefined);
}

/**
 * The failure as a 'disk' ImageError when it came from the file system (ENOSPC, ENOTDIR, EACCES, EMFILE, EROFS…):
 * the image was generated (and billed), it could not be saved in `folder`, and the OS error is named.
 * Any other error is returned as it is.
 */
export function asDiskError(error: unknown, folder: string, host = ''): unknown {
  if (!isFileSystemError(error)) return error;
  const code = error.code as string;
  return new ImageError(
    'disk',
    `The image was generated (and billed) but could not be saved in ${folder}: ${DISK_PROBLEMS[code]} (${code}).`,
    { host, code, cause: error },
  );
}
