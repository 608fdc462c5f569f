import path from 'node:path';
import { Counter } from 'prom-client';
import { CredentialCache } from '../../engine/credential-cache.js';
import { RememberedPasswords } from '../../engine/remembered-passwords.js';
import { PassgateError } from '../../errors.js';
import { AUTHENTICATION_KIND, type AuthenticationRule } from '../../policy/authentication/rule.js';
import type { Door, DoorDefinition } from '../door.js';
import { watchMetadataFolder } from '../metadata-watcher.js';
import { loadRadiusClients, type RadiusClients } from './clients.js';
import { Dictionary } from './dictionary.js';
import { DropLog } from './drop-log.js';
import { DuplicateCache } from './duplicates.js';
import { RadiusExchange } from './exchange.js';
import { RadSecServer } from './radsec.js';
import { RuleReplies } from './rule-replies.js';
import { RadiusServer } from './server.js';

/** The running RADIUS door: the contract, its clients and where it listens (tests read them). */
export interface RadiusDoor extends Door {
  clients(): RadiusClients;
  address(): { address: string; port: number };
  /** Where RadSec listens, when it is on. */
  radsecAddress(): { address: string; port: number } | undefined;
}

/**
 * The RADIUS door: Access-Requests over UDP from the clients of `metadata/radius/`, answered
 * by the engine like any sign-in (password, Authentication Policy, second factor by
 * Access-Challenge or inline), safe against BLAST-RADIUS by default.
 */
export const radiusDoor: DoorDefinition<'radius', RadiusDoor> = {
  name: 'radius',
  enabled: (config) => config.radius.enabled,
  async create({ core, engine, web, logger: parent, metrics, clock }) {
    const { config } = core;
    const settings = config.radius;
    const logger = parent.child({ module: 'radius' });
    const folder = path.join(config.metadataDir, 'radius');
    const dictionary = new Dictionary(settings.dictionaries);
    const load = () => {
      const loaded = loadRadiusClients(folder, dictionary);
      for (const problem of loaded.problems)
        logger.error(problem, `RADIUS client file ${problem.file} refused: ${problem.reason}`);
      return loaded;
    };
    let clients = load();
    logger.info({ clients: clients.clients.map((c) => c.name) }, 'RADIUS clients loaded');
    const requests = new Counter({
      name: 'passgate_radius_requests_total',
      help: 'RADIUS requests answered, by result (accept, reject reasons, challenge, duplicate, status).',
      labelNames: ['result'],
      registers: [metrics.registry],
    });
    const dropped = new Counter({
      name: 'passgate_radius_dropped_total',
      help: 'RADIUS requests dropped without an answer, by reason (unknown_client, no_message_authenticator ...).',
      labelNames: ['reason'],
      registers: [metrics.registry],
    });
    const ruleReplies = new RuleReplies(dictionary);
    /** Logs the Authentication Policy rules whose reply attributes the dictionaries cannot code. */
    const checkRules = async () => {
      for (const { name, document } of await core.policies.list(AUTHENTICATION_KIND)) {
        const attributes = (document as AuthenticationRule).radius?.replyAttributes;
        const problem = attributes && ruleReplies.problem(attributes);
        if (problem)
          logger.error(
            { rule: name, problem },
            `Authentication Policy rule ${name}: ${problem}; RADIUS sign-ins it decides are rejected`,
          );
      }
    };
    const exchange = new RadiusExchange({
      firstFactor: new RememberedPasswords({
        firstFactor: engine.firstFactor,
        users: core.users,
        cache: new CredentialCache({
          ttlMs: settings.credentialCache.minutes * 60_000,
          maxEntries: settings.credentialCache.maxEntries,
          clock,
        }),
      }),
      vouchedFirstFactor: engine.vouchedFirstFactor,
      policy: engine.policy,
      challenges: engine.challenges,
      secondFactor: core.secondFactor,
      tokenTypes: core.tokenTypes,
      translations: web.translations,
      audit: core.audit,
      attempts: core.attempts,
      commits: core.repositories.commits,
      challengeSeconds: config.mfa.challengeTtlSeconds,
      ruleReplies,
      logger,
    });
    const server = new RadiusServer({
      host: settings.host,
      port: settings.port,
      clients: () => clients,
      dictionary,
      answer: async (client, attributes, source) => {
        try {
          return await exchange.answer(client, attributes, source);
        } catch (error) {
          // The directory or the store is down: no answer, so that the client asks another server.
          if (error instanceof PassgateError && error.status === 503) {
            logger.warn({ client: client.name, code: error.code }, 'RADIUS request left unanswered');
            return undefined;
          }
          throw error;
        }
      },
      duplicates: new DuplicateCache(
        settings.duplicateCacheSeconds * 1000,
        settings.duplicateCacheEntries,
        clock,
      ),
      drops: new DropLog(
        logger,
        (reason) => dropped.inc({ reason }),
        settings.dropLogMinutes * 60_000,
        clock,
      ),
      answered: (result) => requests.inc({ result }),
      logger,
    });
    const { radsec: tls } = settings;
    const radsec =
      tls.enabled && tls.certFile && tls.keyFile && tls.caFile
        ? new RadSecServer({
            host: tls.host,
            port: tls.port,
            certFile: tls.certFile,
            keyFile: tls.keyFile,
            caFile: tls.caFile,
            handle: (packet, remote) => server.handle(packet, remote, 'tls'),
            logger,
          })
        : undefined;
    const reload = async () => {
      clients = load();
      logger.info({ clients: clients.clients.map((c) => c.name) }, 'RADIUS clients reloaded');
      await checkRules();
    };
    const watch = settings.watch
      ? watchMetadataFolder(folder, reload, { logger, name: 'metadata/radius' })
      : undefined;
    return {
      clients: () => clients,
      address: () => server.address(),
      radsecAddress: () => radsec?.address(),
      listen: async () => {
        await checkRules();
        await server.listen();
        logger.info(server.address(), 'RADIUS listening (UDP)');
        if (radsec) {
          await radsec.listen();
          logger.info(radsec.address(), 'RadSec listening (TCP, TLS)');
        }
      },
      reload,
      stop: async () => {
        watch?.close();
        await server.close();
        await radsec?.close();
      },
    };
  },
};
