import { normalizeUsername } from '../store/repositories/user-rows.js';

/** Name of the directory the single `directory` setting describes, and the only one before several existed. */
export const DEFAULT_DIRECTORY = 'default';

/**
 * How one directory's users are told apart from another's in Passgate's store, whose user names
 * are unique: the default directory keeps names as they are (existing stores stay valid), every
 * other directory stores `<directory>\<name>` under a source of its own (`ad:<directory>`), so
 * `alice` of two forests are two users, and a synchronisation only ever touches its own.
 */
export class DirectoryNaming {
  /** `users.source` of this directory's users. */
  readonly source: string;
  private readonly prefix: string;

  constructor(
    /** The directory's name in configuration (`default`, or a key of `directories`). */
    readonly name: string,
    /** The plug-in's own source name (`ad`, `local`). */
    kind: string,
  ) {
    const isDefault = name === DEFAULT_DIRECTORY;
    // The local directory keeps its users' source whatever its name: there is only ever one.
    this.source = isDefault || kind === 'local' ? kind : `${kind}:${name}`;
    this.prefix = isDefault ? '' : `${name}\\`;
  }

  /** The store's user name of a name the directory knows (`alice` → `partner\alice`). */
  toStore(name: string): string {
    const normalised = normalizeUsername(name);
    return normalised && `${this.prefix}${normalised}`;
  }

  /** The directory's own name of a store user name (`partner\alice` → `alice`); as is otherwise. */
  fromStore(storeName: string): string {
    return this.prefix && storeName.toLowerCase().startsWith(this.prefix)
      ? storeName.slice(this.prefix.length)
      : storeName;
  }

  /** A user described by the directory, with the store's name. */
  user<T extends { username: string }>(user: T): T {
    return this.prefix ? { ...user, username: this.toStore(user.username) } : user;
  }

  /** Key of this directory's entries in the directory_state table (the default's keep theirs). */
  stateKey(key: string): string {
    return this.prefix ? `${this.name}:${key}` : key;
  }
}
