import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** A name an application's files may take: letters, digits, `-` and `_`, not too long, no dot first. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Why an upload is refused before anything is written; the page shows `admin:applications.refused.<reason>`. */
export class MetadataWriteRefused extends Error {
  constructor(
    readonly reason: 'name' | 'exists',
    detail: string,
  ) {
    super(detail);
  }
}

/** Refuses a name that is not a plain file name of the folder (`../`, `/`, NUL, a dot file, overlong). */
export function checkApplicationName(name: string): string {
  if (!SAFE_NAME.test(name))
    throw new MetadataWriteRefused('name', `not a safe file name: ${JSON.stringify(name.slice(0, 80))}`);
  return name;
}

/**
 * Writes checked files into a metadata folder, each atomically: a temporary file beside it
 * (a dot file the loaders ignore), flushed to disk, then renamed over the name, so a reader
 * sees the old file or the whole new one, never a part. Every name must stay inside the folder;
 * an existing file is replaced only when `replace` says so.
 */
export async function writeMetadataFiles(
  folder: string,
  files: Record<string, string>,
  replace: boolean,
): Promise<string[]> {
  const root = path.resolve(folder);
  const targets = Object.entries(files).map(([name, text]) => {
    const target = path.resolve(root, name);
    if (path.dirname(target) !== root || name.startsWith('.') || name.includes('\0'))
      throw new MetadataWriteRefused('name', `${JSON.stringify(name)} is not a file of ${root}`);
    return { name, target, text };
  });
  if (!replace)
    for (const { name, target } of targets)
      if (await exists(target)) throw new MetadataWriteRefused('exists', `${name} already exists`);
  for (const { target, text } of targets) {
    const temporary = path.join(root, `.upload-${randomBytes(8).toString('hex')}.tmp`);
    const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o640);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }
  return targets.map((t) => t.name);
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
