import { SamlErrors } from './errors.js';
import { type LogoutRequestFields, readLogoutRequest } from './logout-fields.js';
import type { RequestChecks } from './request-checks.js';
import { type IncomingRequest, readRequestMessage } from './request-message.js';
import type { ServiceProvider } from './service-provider.js';
import type { SpRegistry } from './sp-registry.js';

/** A validated LogoutRequest: the SP that sent it, what it says, and the RelayState to keep. */
export interface ValidatedLogoutRequest {
  sp: ServiceProvider;
  fields: LogoutRequestFields;
  binding: IncomingRequest['binding'];
  relayState: string | undefined;
}

/**
 * Validates incoming LogoutRequests (both bindings) for `/saml/slo`, with the same rules as
 * AuthnRequests (RequestChecks): each binding parameter once, DOCTYPE refused, known issuer,
 * signature, schema, Destination, IssueInstant and NotOnOrAfter, and the ID not used before.
 */
export class LogoutRequestValidator {
  constructor(
    private readonly registry: SpRegistry,
    private readonly checks: RequestChecks,
    private readonly sloUrl: string,
  ) {}

  /** The request, checked; a SamlErrors error otherwise. */
  async validate(incoming: IncomingRequest, now: number): Promise<ValidatedLogoutRequest> {
    const message = readRequestMessage(incoming);
    const fields = readLogoutRequest(message.xml);
    const sp = this.registry.byEntityId(fields.issuer);
    if (!sp)
      throw SamlErrors.SAML_UNKNOWN_SP({ detail: `logout: unknown issuer ${JSON.stringify(fields.issuer)}` });
    const signed = incoming.binding === 'redirect' ? message.querySigned : fields.signed;
    await this.checks.signature(sp, incoming, signed, 'LogoutRequest');
    this.checks.timely(fields, this.sloUrl, now, 'LogoutRequest');
    await this.checks.once(sp, fields, now, 'LogoutRequest');
    return { sp, fields, binding: incoming.binding, relayState: message.relayState };
  }
}
