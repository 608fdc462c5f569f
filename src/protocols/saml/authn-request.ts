import { pickAcs } from './acs.js';
import { type AssuranceLevel, requiredLevel } from './authn-context.js';
import { SamlErrors } from './errors.js';
import type { RequestChecks } from './request-checks.js';
import { type AuthnRequestFields, readAuthnRequest } from './request-fields.js';
import { type IncomingRequest, readRequestMessage } from './request-message.js';
import type { ResponseRequestInfo } from './response.js';
import type { ServiceProvider } from './service-provider.js';
import type { SpRegistry } from './sp-registry.js';

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
}

/** Validates incoming AuthnRequests (both bindings) for the SSO endpoint. */
export class AuthnRequestValidator {
  constructor(
    private readonly registry: SpRegistry,
    private readonly checks: RequestChecks,
    private readonly ssoUrl: string,
  ) {}

  /**
   * Checks, in order: each binding parameter once, DOCTYPE refused, well-formed AuthnRequest,
   * known issuer, signature (see RequestChecks), schema, Destination, IssueInstant within its
   * lifetime, ACS listed in the metadata, and the ID not used before.
   */
  async validate(incoming: IncomingRequest, now: number): Promise<ValidatedAuthnRequest> {
    const message = readRequestMessage(incoming);
    const fields = readAuthnRequest(message.xml);
    const sp = this.registry.byEntityId(fields.issuer);
    if (!sp) throw SamlErrors.SAML_UNKNOWN_SP({ detail: `unknown issuer ${JSON.stringify(fields.issuer)}` });
    const signed = incoming.binding === 'redirect' ? message.querySigned : fields.signed;
    await this.checks.signature(sp, incoming, signed, 'AuthnRequest');
    this.checks.timely(fields, this.ssoUrl, now, 'AuthnRequest');
    const acs = pickAcs(sp, { url: fields.acsUrl, index: fields.acsIndex });
    await this.checks.once(sp, fields, now, 'AuthnRequest');
    const level = requiredLevel(sp.settings.authnContext, fields.requestedAuthnContext);
    return {
      sp,
      request: { id: fields.id, acsUrl: acs.url, relayState: message.relayState },
      forceAuthn: fields.forceAuthn,
      isPassive: fields.isPassive,
      level,
      stepUp: level === 'mfa' ? AUTHN_CONTEXT_STEP_UP : undefined,
      fields,
    };
  }
}
