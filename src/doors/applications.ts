import path from 'node:path';

/** One value a vendor asks for when the application is connected (an entity id, a URL ...). */
export interface ApplicationValue {
  /** A key of the `admin` namespace naming the value, e.g. `admin:applications.values.ssoUrl`. */
  label: string;
  value: string;
}

/** One application of a metadata folder as the door last (re)loaded it. */
export interface Application {
  /** The file name without its extension (`metadata/saml/NAME.*`, `metadata/oidc/NAME.yaml`). */
  name: string;
  /** The files it is made of, by base name. */
  files: string[];
  /** Loaded, or kept out by `error` (the loader's reason). */
  error?: string;
  /** What identifies it: an SP's entity id, a client's client_id. */
  id?: string;
  values: ApplicationValue[];
  /** Commands a vendor's side runs (the Microsoft Graph PowerShell of a Microsoft 365 domain). */
  commands: ApplicationValue[];
}

/** What an administrator sends to add (or replace) an application. */
export interface ApplicationUpload {
  /** The name the files take; checked by the writer before anything is read. */
  name: string;
  /** The SP's SAML metadata, or the client's YAML. */
  main: string;
  /** The SP's YAML settings (its profile ...); absent: the door's default for that kind. */
  settings?: string;
}

/**
 * The applications a door reads from its folder under `metadata/`, for the administration site:
 * what is registered and what was kept out, and the check an upload passes through before it is
 * written, which is the loader's own reading of the same files (one path for both).
 */
export interface ApplicationCatalogue {
  kind: 'saml' | 'oidc';
  /** The absolute folder the door reads. */
  folder: string;
  /** Every application of the last (re)load, loaded or not, by name. */
  list(): Application[];
  /**
   * Reads an upload as the loader would read those files in the folder (with the other files
   * there: a duplicate entity id or client_id is refused) and returns the files to write, by
   * base name. Throws an Error with the loader's reason when it would be kept out.
   */
  check(upload: ApplicationUpload): Promise<Record<string, string>>;
  /** Downloads a vendor may need (the IdP's signing certificate), by name. */
  download?(name: string): { type: string; filename: string; body: string } | undefined;
}

/** The name an application takes from one of its files: the base name without its extension. */
export function applicationName(file: string): string {
  return path.basename(file).replace(/\.(xml|ya?ml)$/, '');
}

/**
 * A whole catalogue listing: the loaded applications and, for each file the loader kept out,
 * an entry with the loader's reason, by name.
 */
export function catalogueListing(
  loaded: readonly Application[],
  problems: readonly { file: string; reason: string }[],
): Application[] {
  const failed = problems.map(
    (problem): Application => ({
      name: applicationName(problem.file),
      files: [path.basename(problem.file)],
      error: problem.reason,
      values: [],
      commands: [],
    }),
  );
  return [...loaded, ...failed].sort((a, b) => a.name.localeCompare(b.name));
}
