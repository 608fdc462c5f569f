import { type FSWatcher, watch } from 'node:fs';
import type { Logger } from '../observability/logger.js';

/** A running watch of a metadata folder. */
export interface FolderWatch {
  /** Stops watching (and drops a reload not yet started). */
  close(): void;
}

/**
 * Calls `reload` after changes in an application-metadata folder (`metadata/oidc`,
 * `metadata/saml`), `debounceMs` after the last one, since editors write a file in several steps.
 * A failed reload is logged and the previous registrations stay. A folder that does not exist is
 * not watched (undefined): SIGHUP still reloads.
 */
export function watchMetadataFolder(
  folder: string,
  reload: () => unknown,
  options: { logger: Logger; name: string; debounceMs?: number },
): FolderWatch | undefined {
  const { logger, name } = options;
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher;
  const safeReload = async () => {
    try {
      await reload();
    } catch (error) {
      logger.error({ err: error }, `reloading ${name} failed; the previous registrations stay`);
    }
  };
  try {
    watcher = watch(folder, { persistent: false }, () => {
      clearTimeout(timer);
      timer = setTimeout(safeReload, options.debounceMs ?? 300);
      timer.unref();
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const close = () => {
    clearTimeout(timer);
    watcher.close();
  };
  watcher.on('error', (error) => {
    logger.warn({ err: error }, `watching ${name} stopped; SIGHUP still reloads`);
    close();
  });
  return { close };
}
