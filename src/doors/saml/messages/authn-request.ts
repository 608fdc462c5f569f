import type { ResponseRequestInfo } from '../response/response.js';
import { pickAcs } from '../service-providers/acs.js';
import type { ServiceProvider } from '../service-providers/service-provider.js';
import { type AssuranceLevel, requiredLevel } from './authn-context.js';
import type { RequestCheck, RequestClaim, RequestRules, RequestValidator } from './request-checks.js';
import { type AuthnRequestFields, readAuthnRequest } from './request-fields.js';
import type { IncomingRequest } from './request-message.js';

/** The step-up reason the policy engine gets when a RequestedAuthnContext needs a second factor. */
export const AUTHN_CONTEXT_STEP_UP = 'requested_authn_context';

/** A validated AuthnRequest: who asked, where the answer goes, and what the login must do. */
export interface ValidatedAuthnRequest {
  sp: ServiceProvider;
  request: ResponseRequestInfo & { id: string };
  /** The user must authenticate again, whatever their session (ForceAuthn). */
  forceAuthn: boolean;
  /** The SP forbids any interaction (IsPassive). */
  isPassive: boolean;
  /**
   * The least the sign-in must prove for the RequestedAuthnContext (password when there is
   * none); undefined when Passgate cannot meet it (the answer is NoAuthnContext).
   */
  level: AssuranceLevel | undefined;
  /** Why the policy engine must ask for a second factor anyway: the RequestedAuthnContext needs one. */
  stepUp: string | undefined;
  fields: AuthnRequestFields;
  /**
   * The request's ID, which the caller must claim before it answers, whatever the answer (a
   * replayed request gets SAML_REQUEST_REPLAYED): an answer from the session claims it in the
   * transaction of its own writes.
   */
  claim: RequestClaim;
}

/** ACS from metadata: the consumer service the request names is one its SP's metadata lists. */
export const acsFromMetadata: RequestCheck<AuthnRequestFields> = ({ sp, fields }) => {
  pickAcs(sp, { url: fields.acsUrl, index: fields.acsIndex });
};

/** Validates incoming AuthnRequests (both bindings) for the SSO endpoint. */
export class AuthnRequestValidator {
  private readonly rules: RequestRules<AuthnRequestFields>;

  constructor(
    private readonly validator: RequestValidator,
    ssoUrl: string,
  ) {
    const { signatureRule, signature, destination, timeWindow } = validator.checks;
    this.rules = {
      kind: 'AuthnRequest',
      endpoint: ssoUrl,
      read: readAuthnRequest,
      checks: [signatureRule, signature, destination, timeWindow, acsFromMetadata],
    };
  }

  /**
   * Checks, in order: each binding parameter once, DOCTYPE refused, well-formed AuthnRequest,
   * known issuer, signature rule, signature and schema, Destination, IssueInstant within its
   * lifetime, and ACS listed in the metadata; the ID is claimed by the caller (`claim`).
   */
  async validate(incoming: IncomingRequest, now: number): Promise<ValidatedAuthnRequest> {
    const checked = await this.validator.validate(incoming, now, this.rules);
    const { sp, fields, message } = checked;
    const acs = pickAcs(sp, { url: fields.acsUrl, index: fields.acsIndex });
    const level = requiredLevel(sp.settings.authnContext, fields.requestedAuthnContext);
    return {
      sp,
      request: { id: fields.id, acsUrl: acs.url, relayState: message.relayState },
      forceAuthn: fields.forceAuthn,
      isPassive: fields.isPassive,
      level,
      stepUp: level === 'mfa' ? AUTHN_CONTEXT_STEP_UP : undefined,
      fields,
      claim: this.validator.checks.claimOf(checked),
    };
  }
}
