import path from 'node:path';
import express from 'express';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config/load.js';
import type { SigningKeys } from '../../keys/signing-keys.js';
import type { StoredSecrets } from '../../keys/stored-secrets.js';
import type { Logger } from '../../observability/logger.js';
import type { SamlRequestIdsRepository } from '../../store/repositories/saml-request-ids.js';
import { LogoutRequestBuilder } from './logout/logout-request-builder.js';
import { LogoutResponseReader } from './logout/logout-response-reader.js';
import { AuthnRequestValidator } from './messages/authn-request.js';
import { LogoutRequestValidator } from './messages/logout-request.js';
import { LogoutResponseBuilder } from './messages/logout-response.js';
import { RequestValidator } from './messages/request-checks.js';
import { samlSchema } from './messages/schema-validator.js';
import { StatusResponseBuilder } from './messages/status-response.js';
import { NameIds, PAIRWISE_KEY_NAME } from './response/name-id.js';
import { ResponseBuilder } from './response/response.js';
import { SpRegistry } from './service-providers/sp-registry.js';
import { type IdpEndpoints, IdpInstances } from './signing/identity.js';
import { samlify } from './signing/samlify.js';
import { ensureSamlKey, loadSamlKeys, SAML_KEY_PURPOSE, samlCertifier } from './signing/signing-key.js';

/** The SAML door's identity-provider side: signing, the SPs, metadata, request checks and response builders. */
export interface SamlIdp {
  endpoints: IdpEndpoints;
  /** Routes of the door: `GET /saml/metadata` (SSO and SLO endpoints: `createSamlSso`, sso.ts). */
  router: express.Router;
  registry: SpRegistry;
  requests: AuthnRequestValidator;
  responses: ResponseBuilder;
  /** Users' NameIDs at each SP (the pairwise ids too). */
  nameIds: NameIds;
  /** Signed responses without an assertion (AuthnFailed, NoPassive ...). */
  statusResponses: StatusResponseBuilder;
  requestIds: SamlRequestIdsRepository;
  /** LogoutRequests of `/saml/slo`, checked like AuthnRequests. */
  logoutRequests: LogoutRequestValidator;
  /** Signed LogoutResponses (Success, PartialLogout). */
  logoutResponses: LogoutResponseBuilder;
  /** Signed LogoutRequests to the other SPs of a session (single logout). */
  outgoingLogoutRequests: LogoutRequestBuilder;
  /** The SPs' LogoutResponses during single logout, checked. */
  incomingLogoutResponses: LogoutResponseReader;
  /** The IdP metadata XML. */
  metadata(): string;
  /**
   * Takes the stored keys again when they changed (a next key published, activated, or a retired
   * one no longer published): the signing key and the metadata's certificates; true when they did.
   */
  refreshKeys(): Promise<boolean>;
  /** Re-reads `metadata/saml/` (SIGHUP). */
  reload(): void;
  /** Stops watching the metadata folder. */
  stop(): void;
}

/** What the identity provider is built from. */
export interface SamlIdpOptions {
  config: Config;
  publicUrl: string;
  keys: SigningKeys;
  /** Where the key of pairwise NameIDs is kept, sealed. */
  secrets: StoredSecrets;
  /** AuthnRequest and LogoutRequest ids answered, against replays. */
  requestIds: SamlRequestIdsRepository;
  logger: Logger;
  clock: Clock;
}

/** Builds the identity provider: the signing key (made on first start), the SPs, metadata, requests, responses. */
export async function createSamlIdp(options: SamlIdpOptions): Promise<SamlIdp> {
  const { config, publicUrl, keys, logger, clock } = options;
  // samlify refuses to parse without a schema validator: the SAML 2.0 schema, compiled now (not
  // on the first request) and once per process.
  const schema = await samlSchema();
  samlify.setSchemaValidator(schema);
  const endpoints: IdpEndpoints = {
    entityId: config.saml.entityId ?? `${publicUrl}/saml/metadata`,
    ssoUrl: `${publicUrl}/saml/sso`,
    sloUrl: `${publicUrl}/saml/slo`,
    wantAuthnRequestsSigned: config.saml.wantAuthnRequestsSigned,
  };
  const created = await ensureSamlKey(
    keys,
    samlCertifier(publicUrl, config.saml.certificateValidityYears, clock),
  );
  if (created.length > 0) logger.info({ kids: created }, 'generated the SAML signing key and certificate');
  let version = await keys.version(SAML_KEY_PURPOSE);
  const idps = new IdpInstances(endpoints, await loadSamlKeys(keys));

  const registry = new SpRegistry(
    path.join(config.metadataDir, 'saml'),
    logger.child({ module: 'saml' }),
    config.saml.generic,
  );
  registry.reload();
  if (config.saml.watchMetadata) registry.watch();

  const { requestIds } = options;
  const validator = new RequestValidator(
    registry,
    idps,
    requestIds,
    {
      wantRequestsSigned: config.saml.wantAuthnRequestsSigned,
      requestLifetimeSeconds: config.saml.requestLifetimeSeconds,
      clockSkewSeconds: config.saml.clockSkewSeconds,
    },
    schema,
  );
  const nameIds = new NameIds(await options.secrets.ensure(PAIRWISE_KEY_NAME));
  const metadata = () => idps.published().getMetadata();
  const router = express.Router();
  router.get('/saml/metadata', (_req, res) => {
    res.type('application/samlmetadata+xml').send(metadata());
  });

  return {
    endpoints,
    router,
    registry,
    requests: new AuthnRequestValidator(validator, endpoints.ssoUrl),
    responses: new ResponseBuilder(idps, endpoints.entityId, config.saml.assertionLifetimeSeconds, nameIds),
    nameIds,
    statusResponses: new StatusResponseBuilder(idps, endpoints.entityId),
    logoutRequests: new LogoutRequestValidator(validator, endpoints.sloUrl),
    logoutResponses: new LogoutResponseBuilder(idps, endpoints.entityId),
    outgoingLogoutRequests: new LogoutRequestBuilder(idps, endpoints.entityId),
    incomingLogoutResponses: new LogoutResponseReader(idps, schema, endpoints.sloUrl),
    requestIds,
    metadata,
    refreshKeys: async () => {
      const current = await keys.version(SAML_KEY_PURPOSE);
      if (current === version) return false;
      idps.useKeys(await loadSamlKeys(keys));
      version = current;
      return true;
    },
    reload: () => {
      registry.reload();
    },
    stop: () => registry.unwatch(),
  };
}
