import type { Clock } from '../clock.js';
import { clientLogoutChannels } from '../doors/oidc/logout/client-logout.js';
import { Sessions } from '../engine/sessions.js';
import type { SigningKeys } from '../keys/signing-keys.js';
import type { Repositories } from '../store/repository-set.js';
import type { Config } from './config.js';

/** What the sessions are built from: the core's parts (the core itself satisfies it). */
export interface SessionParts {
  config: Config;
  repositories: Pick<Repositories, 'sessions' | 'audit'>;
  keys: Pick<SigningKeys, 'privateJwks'>;
  clock: Clock;
}

/** The issuer a process that does not listen (the CLI, a sync run) names in Logout Tokens: the server's public URL. */
export function issuerOf(config: Config): string {
  return (config.server.publicUrl ?? `http://localhost:${config.server.port}`).replace(/\/+$/, '');
}

/**
 * The single sign-on sessions over the store (stateless: the CLI builds its own, the store is
 * the truth), with OIDC logout to clients, so that a session ended anywhere reaches them.
 */
export function composeSessions(parts: SessionParts, issuer = issuerOf(parts.config)): Sessions {
  const { config, repositories, clock } = parts;
  const channels = clientLogoutChannels({
    config,
    issuer,
    sessions: repositories.sessions,
    keys: parts.keys,
    audit: repositories.audit,
    clock,
  });
  return new Sessions(repositories.sessions, repositories.audit, config.sessions, clock, channels);
}
