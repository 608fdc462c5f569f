import { describe, expect, it } from 'vitest';
import {
  AUTHN_CONTEXT,
  classToState,
  type RequestedAuthnContext,
  requiredLevel,
  type StatedClasses,
} from '../../src/doors/saml/messages/authn-context.js';

const AC = 'urn:oasis:names:tc:SAML:2.0:ac:classes:';
const PPT = `${AC}PasswordProtectedTransport`;
const GENERIC: StatedClasses = { password: PPT, mfa: AUTHN_CONTEXT.refedsMfa };
const ask = (comparison: RequestedAuthnContext['comparison'], ...classRefs: string[]) => ({
  comparison,
  classRefs,
});

describe('RequestedAuthnContext over the strength table', () => {
  it('exact: only a class asked for; a class Passgate never states cannot be met', () => {
    expect(requiredLevel(GENERIC, ask('exact', PPT))).toBe('password');
    expect(requiredLevel(GENERIC, ask('exact', AUTHN_CONTEXT.microsoftMfa))).toBe('mfa');
    expect(classToState('mfa', GENERIC, ask('exact', AUTHN_CONTEXT.microsoftMfa))).toBe(
      AUTHN_CONTEXT.microsoftMfa,
    );
    expect(classToState('mfa', GENERIC, ask('exact', PPT))).toBe(PPT);
    expect(requiredLevel(GENERIC, ask('exact', `${AC}X509`))).toBeUndefined();
    expect(requiredLevel(GENERIC, ask('exact', `${AC}Password`))).toBeUndefined();
    expect(requiredLevel(GENERIC, ask('exact', 'urn:example:unknown'))).toBeUndefined();
  });

  it('minimum and better: at least as strong / stronger than one of the classes', () => {
    expect(requiredLevel(GENERIC, ask('minimum', `${AC}Password`))).toBe('password');
    expect(requiredLevel(GENERIC, ask('minimum', PPT))).toBe('password');
    expect(requiredLevel(GENERIC, ask('better', PPT))).toBe('mfa');
    expect(requiredLevel(GENERIC, ask('minimum', `${AC}MobileTwoFactorContract`))).toBe('mfa');
    expect(classToState('mfa', GENERIC, ask('minimum', `${AC}MobileTwoFactorContract`))).toBe(
      AUTHN_CONTEXT.refedsMfa,
    );
    expect(classToState('password', GENERIC, ask('better', PPT))).toBeUndefined();
    expect(requiredLevel(GENERIC, ask('minimum', `${AC}Smartcard`))).toBeUndefined();
    expect(requiredLevel(GENERIC, ask('better', AUTHN_CONTEXT.refedsMfa))).toBeUndefined();
    expect(requiredLevel(GENERIC, ask('minimum', `${AC}Smartcard`, PPT))).toBe('password');
    expect(requiredLevel(GENERIC, ask('minimum', 'urn:example:unknown'))).toBeUndefined();
  });

  it('maximum: the strongest class that does not exceed one of them', () => {
    expect(classToState('mfa', GENERIC, ask('maximum', PPT))).toBe(PPT);
    expect(classToState('mfa', GENERIC, ask('maximum', `${AC}X509`))).toBe(AUTHN_CONTEXT.refedsMfa);
    expect(classToState('password', GENERIC, ask('maximum', `${AC}X509`))).toBe(PPT);
    expect(classToState('mfa', GENERIC, ask('maximum', `${AC}Password`))).toBe(`${AC}unspecified`);
    expect(requiredLevel(GENERIC, ask('maximum', AUTHN_CONTEXT.microsoftMfa))).toBe('password');
  });

  it("counts an SP's own class as the strength of its level", () => {
    const own: StatedClasses = { password: 'urn:example:pwd', mfa: 'urn:example:2fa' };
    expect(requiredLevel(own, ask('exact', 'urn:example:2fa'))).toBe('mfa');
    expect(classToState('mfa', own, ask('minimum', 'urn:example:2fa'))).toBe('urn:example:2fa');
    expect(classToState('mfa', own, ask('minimum', PPT))).toBe('urn:example:2fa');
    expect(classToState('password', own, ask('better', `${AC}Password`))).toBe('urn:example:pwd');
    expect(classToState('password', own, undefined)).toBe('urn:example:pwd');
  });
});
