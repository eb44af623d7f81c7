/** Filesystem questions asked in several places: a path that cannot be stat'ed answers no. */

/** Whether anything exists at `path` (following symlinks). */
export function exists(path: string | URL): Promise<boolean> {
  return Deno.stat(path).then(() => true, () => false);
}

/** Whether `path` is a regular file (following symlinks). */
export function isFileSync(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Whether `path` is a directory (following symlinks). */
export function isDirSync(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}
