import type { ServiceProvider } from '../service-providers/service-provider.js';
import { type LogoutRequestFields, readLogoutRequest } from './logout-fields.js';
import type { RequestRules, RequestValidator } from './request-checks.js';
import type { IncomingRequest } from './request-message.js';

/** A validated LogoutRequest: the SP that sent it, what it says, and the RelayState to keep. */
export interface ValidatedLogoutRequest {
  sp: ServiceProvider;
  fields: LogoutRequestFields;
  binding: IncomingRequest['binding'];
  relayState: string | undefined;
}

/**
 * Validates incoming LogoutRequests (both bindings) for `/saml/slo`, with the same validator and
 * checks as AuthnRequests: each binding parameter once, DOCTYPE refused, known issuer, signature
 * rule, signature and schema, Destination, IssueInstant and NotOnOrAfter, and the ID not used before.
 */
export class LogoutRequestValidator {
  private readonly rules: RequestRules<LogoutRequestFields>;

  constructor(
    private readonly validator: RequestValidator,
    sloUrl: string,
  ) {
    const { signatureRule, signature, destination, timeWindow, notReplayed } = validator.checks;
    this.rules = {
      kind: 'LogoutRequest',
      endpoint: sloUrl,
      read: readLogoutRequest,
      checks: [signatureRule, signature, destination, timeWindow, notReplayed],
    };
  }

  /** The request, checked; a SamlErrors error otherwise. */
  async validate(incoming: IncomingRequest, now: number): Promise<ValidatedLogoutRequest> {
    const { sp, fields, message } = await this.validator.validate(incoming, now, this.rules);
    return { sp, fields, binding: incoming.binding, relayState: message.relayState };
  }
}
