import path from 'node:path';
import type { ClientMetadata } from 'oidc-provider';
import type { Clock } from '../../../clock.js';
import type { Config } from '../../../config/load.js';
import type { FrontChannelLogout, LogoutChannels } from '../../../engine/sessions.js';
import type { SigningKeys } from '../../../keys/signing-keys.js';
import type { AuditRepository } from '../../../store/repositories/audit.js';
import type { SessionApplicationRecord, SessionsRepository } from '../../../store/repositories/sessions.js';
import { loadClientFiles } from '../clients.js';
import { OIDC_KEY_PURPOSE } from '../keys.js';
import { deliverLogoutToken } from './back-channel.js';
import { logoutUrisOf } from './client-logout-metadata.js';
import { signLogoutToken } from './logout-token.js';

/** What telling OIDC clients of a session's end needs; the CLI and every server process build it alike. */
export interface ClientLogoutOptions {
  config: Config;
  /** The issuer (Passgate's public URL). */
  issuer: string;
  sessions: Pick<SessionsRepository, 'applications'>;
  keys: Pick<SigningKeys, 'privateJwks'>;
  audit: Pick<AuditRepository, 'record'>;
  clock: Clock;
}

/** An OIDC client of a session, with its registration. */
interface SessionClient {
  application: SessionApplicationRecord;
  metadata: ClientMetadata;
}

/**
 * OIDC logout to the clients of a session, whichever way it ended (any door, the CLI, a sync
 * run): Back-Channel Logout 1.0 (a signed Logout Token posted by the process that ended it) and
 * Front-Channel Logout 1.0 (the frames a logout page loads). The client registrations are read
 * from `metadata/oidc/` when a session ends, so a CLI needs no running server.
 */
export function clientLogoutChannels(options: ClientLogoutOptions): LogoutChannels {
  const { config, issuer } = options;
  const requireHttps = config.mode === 'production';
  const clientsDir = path.join(config.metadataDir, 'oidc');

  const clientsOf = async (sessionId: string): Promise<SessionClient[]> => {
    const applications = (await options.sessions.applications(sessionId)).filter((a) => a.door === 'oidc');
    if (applications.length === 0) return [];
    const registered = new Map(
      loadClientFiles(clientsDir).clients.map((c) => [c.metadata.client_id, c.metadata]),
    );
    return applications.flatMap((application) => {
      const metadata = registered.get(application.application);
      return metadata ? [{ application, metadata }] : [];
    });
  };

  const tellSession = async (sessionId: string, userId: string) => {
    const clients = (await clientsOf(sessionId)).filter(
      (c) => logoutUrisOf(c.metadata, requireHttps).backChannel,
    );
    if (clients.length === 0) return;
    const keys = await options.keys.privateJwks(OIDC_KEY_PURPOSE);
    await Promise.all(
      clients.map(async ({ application, metadata }) => {
        const alg = String(metadata.id_token_signed_response_alg ?? config.oidc.signingAlgorithm);
        const key = keys.find((k) => k.alg === alg && !(k as { key_ops?: string[] }).key_ops);
        const delivery = {
          clientId: application.application,
          uri: logoutUrisOf(metadata, requireHttps).backChannel!,
          session: sessionId,
          userId,
        };
        if (!key) {
          await options.audit.record({
            type: 'oidc.logout.backchannel',
            outcome: 'failure',
            userId,
            details: { client: delivery.clientId, session: sessionId, problem: `no ${alg} signing key` },
          });
          return;
        }
        const token = await signLogoutToken(
          {
            issuer,
            clientId: application.application,
            subject: userId,
            sid: application.sid,
            now: options.clock(),
          },
          key,
        );
        await deliverLogoutToken({ ...delivery, token }, config.oidc.backChannelLogout, options.audit);
      }),
    );
  };

  return {
    async ended(sessionIds, userId) {
      await Promise.all(
        sessionIds.map((id) =>
          tellSession(id, userId).catch(async (error) => {
            await options.audit
              .record({
                type: 'oidc.logout.backchannel',
                outcome: 'failure',
                userId,
                details: { session: id, problem: (error as Error).message },
              })
              .catch(() => undefined);
          }),
        ),
      );
    },
    async backChannel(sessionId) {
      return (await clientsOf(sessionId))
        .filter((c) => logoutUrisOf(c.metadata, requireHttps).backChannel)
        .map((c) => `oidc:${c.application.application}`);
    },
    async frontChannel(sessionId) {
      return (await clientsOf(sessionId)).flatMap(({ application, metadata }): FrontChannelLogout[] => {
        const uris = logoutUrisOf(metadata, requireHttps);
        if (!uris.frontChannel) return [];
        const url = new URL(uris.frontChannel);
        if (uris.frontChannelSession && application.sid) {
          url.searchParams.set('iss', issuer);
          url.searchParams.set('sid', application.sid);
        }
        return [{ application: `oidc:${application.application}`, url: url.toString() }];
      });
    },
  };
}
