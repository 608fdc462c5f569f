import type { Token } from '../store/repositories/tokens.js';

/** One setting a token type takes, described for forms, the CLI and validation messages. */
export interface ParameterInfo {
  name: string;
  description: string;
  values?: ReadonlyArray<string | number>;
  default?: string | number | boolean;
}

/** A token type's description of itself (privacyIDEA's get_class_info). */
export interface TokenTypeInfo {
  type: string;
  title: string;
  /** RFC 8176 `amr` values a verification with this type contributes. */
  amr: readonly string[];
  /** Where the code comes from: a device the user holds, a message Passgate sends, a printed list. */
  source: 'device' | 'sent' | 'list';
  /** Settings a token of this type has (enrolment, import, Token Policies). */
  parameters: readonly ParameterInfo[];
}

/** What the doors may need to show after an enrolment, once. */
export interface EnrolmentResult {
  token: Token;
  /** otpauth:// URI for a QR code (software OATH tokens). */
  otpauthUri?: string;
  /** The secret in base32, for manual entry (software OATH tokens). */
  secretBase32?: string;
  /** One-time backup codes. */
  codes?: string[];
}

/** Context of one verification. */
export interface VerifyContext {
  /** The login challenge being answered (passcodes are bound to it). */
  challengeId?: string;
}

/**
 * A token type plug-in: it describes itself and verifies responses. Accepting a response is
 * atomic in the store (at most once, across processes). Adding a type is one file plus one line
 * in registry.ts.
 */
export interface TokenType {
  readonly info: TokenTypeInfo;
  verify(token: Token, response: string, context: VerifyContext): Promise<boolean>;
}
