import path from 'node:path';
import type { Request, Response } from 'express';
import type Provider from 'oidc-provider';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config/load.js';
import { describeError } from '../../errors.js';
import type { SigningKeys } from '../../keys/signing-keys.js';
import type { BrowserSessions } from '../../login/sessions.js';
import type { Logger } from '../../observability/logger.js';
import type { CommitGroup } from '../../store/commit-group.js';
import type { Database } from '../../store/database.js';
import type { UsersRepository } from '../../store/repositories/users.js';
import { StagedWrites } from '../../store/staged-writes.js';
import type { PageRenderer } from '../../web/render.js';
import { watchMetadataFolder } from '../metadata-watcher.js';
import { createOidcAdapter } from './adapter.js';
import { type LoadedClients, loadClientFiles } from './clients.js';
import { OIDC_KEY_PURPOSE } from './keys.js';
import { createOidcProvider } from './provider.js';
import { withOidcErrors } from './unavailable.js';

/** oidc-provider as the OIDC door holds it: swapped for a new instance when keys or clients change. */
export interface SwappableProvider {
  provider(): Provider;
  handler(): (req: Request, res: Response) => unknown;
  /** Rebuilds the provider if the published signing keys changed since the last build. */
  refreshKeys(): Promise<boolean>;
  /** Re-reads `metadata/oidc/` and the keys, and rebuilds the provider. */
  reload(): Promise<void>;
  /** Stops watching `metadata/oidc/`. */
  stop(): void;
  /** The clients and the files kept out at the last build. */
  loaded(): LoadedClients;
  /** The folder the clients are read from. */
  readonly folder: string;
  /** The adapter's writes that do not wait for their commit (with a group commit): wait before answering. */
  readonly staged: StagedWrites | undefined;
}

/** What the provider is built from. */
export interface SwappableProviderOptions {
  config: Config;
  /** The public URL: the issuer, and the origin of every URL the provider builds. */
  issuer: string;
  /** Whether cookies carry the Secure flag (decided once from the public URL). */
  secureCookies: boolean;
  database: Database;
  /** The store's group commit: the adapter's writes join those of their turn of the event loop. */
  commits?: CommitGroup;
  keys: SigningKeys;
  users: UsersRepository;
  cookieKeys: Buffer[];
  render: PageRenderer;
  logger: Logger;
  clock: Clock;
  /** The browser's single sign-on session, to which oidc-provider's is bound. */
  sessions: BrowserSessions;
}

/**
 * Builds the OIDC door's provider. oidc-provider takes its keys and static clients at construction, so a
 * key rotation or a client change builds a new instance; all its state lives in the store, so
 * requests simply move to the new one.
 */
export async function createSwappableProvider(options: SwappableProviderOptions): Promise<SwappableProvider> {
  const { config, keys, logger } = options;
  const staged = options.commits ? new StagedWrites(options.commits) : undefined;
  const adapter = withOidcErrors(
    createOidcAdapter(options.database.db, options.clock, options.commits, staged),
  );
  const clientsDir = path.join(config.metadataDir, 'oidc');

  const build = async () => {
    const version = await keys.version(OIDC_KEY_PURPOSE);
    const jwks = await keys.privateJwks(OIDC_KEY_PURPOSE);
    const loaded = loadClientFiles(clientsDir);
    const make = (clients = loaded.clients) =>
      createOidcProvider({
        issuer: options.issuer,
        config: config.oidc,
        adapter,
        ...(staged ? { staged } : {}),
        ...(options.commits ? { commits: options.commits } : {}),
        clients: clients.map((c) => c.metadata),
        jwks,
        cookieKeys: options.cookieKeys,
        behindProxy: config.server.trustedProxies.length > 0,
        secureCookies: options.secureCookies,
        production: config.mode === 'production',
        users: options.users,
        render: options.render,
        sessions: options.sessions,
        logger,
      });
    let provider = make();
    const valid = [];
    const problems = [...loaded.problems];
    for (const client of loaded.clients) {
      try {
        await provider.Client.validate(client.metadata);
        valid.push(client);
      } catch (error) {
        const detail = (error as { error_description?: string }).error_description ?? describeError(error);
        problems.push({ file: client.file, reason: detail });
      }
    }
    for (const problem of problems) logger.error(problem, 'OIDC client registration skipped');
    if (valid.length !== loaded.clients.length) provider = make(valid);
    logger.info(
      { clients: valid.map((c) => c.metadata.client_id), keys: jwks.length },
      'OIDC provider ready',
    );
    return { provider, handler: provider.callback(), version, loaded: { clients: valid, problems } };
  };

  let current = await build();
  const reload = async () => {
    current = await build();
  };
  const watch = config.oidc.watchMetadata
    ? watchMetadataFolder(clientsDir, reload, { logger, name: 'metadata/oidc' })
    : undefined;
  return {
    staged,
    provider: () => current.provider,
    handler: () => current.handler,
    async refreshKeys() {
      if ((await keys.version(OIDC_KEY_PURPOSE)) === current.version) return false;
      current = await build();
      return true;
    },
    reload,
    stop: () => watch?.close(),
    loaded: () => current.loaded,
    folder: clientsDir,
  };
}
