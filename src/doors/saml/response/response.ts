import { randomHex } from '../../../crypto/random-pool.js';
import type { User } from '../../../store/repositories/users.js';
import { pickAcs } from '../service-providers/acs.js';
import type { ServiceProvider } from '../service-providers/service-provider.js';
import type { IdpInstances } from '../signing/identity.js';
import { samlify } from '../signing/samlify.js';
import { type LoginResponseValues, nameFormatOf, writeLoginResponse } from './canonical-response.js';
import { issuerFor } from './issuer.js';
import type { NameIds } from './name-id.js';
import { NAME_ID_FORMATS } from './name-id-formats.js';
import { personalise } from './response-template.js';
import { attributeValues } from './user-values.js';

/** The request a response answers (none of it for IdP-initiated SSO but the ACS). */
export interface ResponseRequestInfo {
  /** The AuthnRequest's ID (InResponseTo); undefined for IdP-initiated SSO. */
  id?: string | undefined;
  /** Where the response goes: an ACS of the SP's metadata (checked again here). */
  acsUrl: string;
  relayState?: string | undefined;
}

/** How the user signed in. */
export interface ResponseAssurance {
  mfa: boolean;
  /** The AuthnContextClassRef to state (one that meets the request); default: the SP's class for `mfa`. */
  classRef?: string;
  /** When the user authenticated (epoch ms); default: now. */
  authnInstant?: number;
  /** The session's index, for single logout later; default: a new random one. */
  sessionIndex?: string;
}

/** Everything a login response is made of; free of HTTP and of the login flow. */
export interface LoginResponseInput {
  user: User;
  sp: ServiceProvider;
  request: ResponseRequestInfo;
  assurance: ResponseAssurance;
  /** Epoch milliseconds. */
  now: number;
}

/** A signed login response, ready for an auto-submitting HTTP-POST form. */
export interface LoginResponse {
  id: string;
  acsUrl: string;
  /** Base64 of the XML: the SAMLResponse form field. */
  samlResponse: string;
  relayState: string | undefined;
}

/** A login response with the NameID and SessionIndex it states: what a LogoutRequest to the SP names later. */
export interface StatedLogin extends LoginResponse {
  nameId: string;
  sessionIndex: string;
}

/** Builds the signed login responses of the SAML door. */
export class ResponseBuilder {
  constructor(
    private readonly idps: IdpInstances,
    private readonly defaultIssuer: string,
    private readonly lifetimeSeconds: number,
    private readonly nameIds: NameIds,
  ) {}

  /**
   * The response for `user` to `sp`: NameID and attributes per the SP's settings, signed as the
   * SP wants it (response, assertion or both; RSA-SHA256 or RSA-SHA1, exclusive c14n,
   * enveloped). SAML_NAMEID_UNAVAILABLE when the user lacks the NameID's source.
   */
  async build(input: LoginResponseInput): Promise<StatedLogin> {
    const { user, sp, request, assurance, now } = input;
    const acs = pickAcs(sp, { url: request.acsUrl });
    const { settings } = sp;
    const nameId = this.nameIds.of(user, sp).value;
    const mapped = Object.entries(settings.attributes)
      .map(([name, source]) => ({
        name,
        friendlyName: source.friendlyName,
        values: attributeValues(user, source),
      }))
      .filter((a) => a.values.length > 0);
    const issuer = issuerFor(sp, user, this.defaultIssuer);
    const id = newId();
    const sessionIndex = assurance.sessionIndex ?? newId();
    const iso = (ms: number) => new Date(ms).toISOString();
    const fixed = {
      ID: id,
      AssertionID: newId(),
      IssueInstant: iso(now),
      Destination: acs.url,
      Recipient: acs.url,
      InResponseTo: request.id,
      Issuer: issuer,
      Audience: sp.entityId,
      NotBefore: iso(now - 60_000),
      NotOnOrAfter: iso(now + this.lifetimeSeconds * 1000),
      AuthnInstant: iso(assurance.authnInstant ?? now),
      SessionIndex: sessionIndex,
      AuthnContextClassRef: assurance.classRef ?? settings.authnContext[assurance.mfa ? 'mfa' : 'password'],
      NameIDFormat: NAME_ID_FORMATS[settings.nameId.format],
    };
    const fill = (template: string): string => {
      const personal = personalise(
        template,
        mapped.map((a) => ({
          values: a.values.length,
          uriName: nameFormatOf(a.name) === 'uri',
          friendlyName: a.friendlyName !== undefined,
        })),
      );
      // Ours first, the user's last: a user's value can then spell no placeholder still to fill.
      const userValues: Record<string, string> = { [personal.nameId]: nameId };
      personal.attributes.forEach((placeholders, i) => {
        userValues[placeholders.name] = mapped[i]!.name;
        userValues[placeholders.friendlyName] = mapped[i]!.friendlyName ?? '';
        placeholders.values.forEach((tag, j) => {
          userValues[tag] = mapped[i]!.values[j]!;
        });
      });
      return samlify.SamlLib.replaceTagsByValue(personal.xml, { ...fixed, ...userValues });
    };
    const samlResponse = settings.encryptAssertion
      ? await this.encrypted(sp, request, id, issuer, fill)
      : this.signed({ ...fixed, NameID: nameId, attributes: mapped }, sp);
    return { id, acsUrl: acs.url, samlResponse, relayState: request.relayState, nameId, sessionIndex };
  }

  /**
   * Signed as the SP wants it, in samlify's order (the assertion first, then the whole
   * response), written canonical so that signing needs no XML parse (canonical-response.ts).
   */
  private signed(values: LoginResponseValues, sp: ServiceProvider): string {
    const { sign, signatureAlgorithm } = sp.settings;
    const signer = this.idps.signer;
    const envelope = (canonical: string, id: string) =>
      signer.envelopedSignature(canonical, id, signatureAlgorithm);
    const xml = writeLoginResponse(values, {
      assertion: sign === 'response' ? undefined : envelope,
      response: sign === 'assertion' ? undefined : envelope,
    });
    return Buffer.from(xml, 'utf8').toString('base64');
  }

  /** An encrypted assertion: samlify signs, then encrypts with the SP's key. */
  private async encrypted(
    sp: ServiceProvider,
    request: ResponseRequestInfo,
    id: string,
    issuer: string,
    fill: (template: string) => string,
  ): Promise<string> {
    const idp = this.idps.get({
      issuer,
      algorithm: sp.settings.signatureAlgorithm,
      encrypt: true,
      verifyRequests: false,
    });
    const result = await idp.createLoginResponse(
      sp.samlify,
      { extract: { request: { id: request.id ?? '' } } },
      'post',
      {},
      { customTagReplacement: (template) => ({ id, context: fill(template) }) },
    );
    return result.context;
  }
}

/** A SAML ID: an NCName (starts with a letter or underscore) with 160 random bits. */
function newId(): string {
  return `_${randomHex(20)}`;
}
