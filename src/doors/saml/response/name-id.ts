import { createHmac } from 'node:crypto';
import { randomHex } from '../../../crypto/random-pool.js';
import type { User } from '../../../store/repositories/users.js';
import { SamlErrors } from '../errors.js';
import type { RequestedSubject } from '../messages/request-fields.js';
import type { ServiceProvider } from '../service-providers/service-provider.js';
import { NAME_ID_FORMATS, type NameIdFormat, PAIRWISE_ID } from './name-id-formats.js';
import { firstValues } from './user-values.js';

/** Name of the stored secret pairwise ids are computed under (StoredSecrets). */
export const PAIRWISE_KEY_NAME = 'saml-pairwise-id';

/** A user's NameID at one SP. */
export interface UserNameId {
  format: NameIdFormat;
  value: string;
}

/**
 * The NameID a user has at an SP, from its `nameId` settings: the first source the user has
 * (a user field, a directory attribute, or the pairwise id), or a new random one for transient.
 */
export class NameIds {
  constructor(private readonly pairwiseKey: Buffer) {}

  /** The user's NameID at `sp`; SAML_NAMEID_UNAVAILABLE when the user has none of its sources. */
  of(user: User, sp: ServiceProvider): UserNameId {
    const { format, source } = sp.settings.nameId;
    if (format === 'transient') return { format, value: `_${randomHex(20)}` };
    for (const name of source) {
      const value = name === PAIRWISE_ID ? this.pairwise(user, sp) : firstValues(user, [name])[0];
      if (value !== undefined) return { format, value };
    }
    throw SamlErrors.SAML_NAMEID_UNAVAILABLE({
      detail: `${sp.name}: user ${user.username} has none of ${source.join(', ')}`,
    });
  }

  /**
   * Whether an AuthnRequest's Subject names `user` at `sp`: the same value as the user's NameID
   * there (e-mail addresses in any case), in the same format unless the request leaves it
   * unspecified. A transient NameID never matches: it is new at each sign-in.
   */
  matches(subject: RequestedSubject, user: User, sp: ServiceProvider): boolean {
    const own = this.of(user, sp);
    if (own.format === 'transient') return false;
    const format = subject.format ?? NAME_ID_FORMATS.unspecified;
    if (format !== NAME_ID_FORMATS.unspecified && format !== NAME_ID_FORMATS[own.format]) return false;
    return own.format === 'emailAddress'
      ? subject.nameId.toLowerCase() === own.value.toLowerCase()
      : subject.nameId === own.value;
  }

  /** HMAC-SHA256 of the user's id and the SP's entity ID, base64url: stable, and opaque to the SP. */
  private pairwise(user: User, sp: ServiceProvider): string {
    return createHmac('sha256', this.pairwiseKey).update(`${user.id}\n${sp.entityId}`).digest('base64url');
  }
}
