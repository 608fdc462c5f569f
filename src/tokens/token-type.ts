import type { z } from 'zod';
import type { Clock } from '../clock.js';
import type { Channel } from '../config/channels.js';
import type { CodeHasher } from '../crypto/code-hash.js';
import type { BackupCodesRepository } from '../store/repositories/backup-codes.js';
import type { PasscodesRepository } from '../store/repositories/passcodes.js';
import type { Token, TokenStatus, TokensRepository } from '../store/repositories/tokens.js';
import type { WriteBatch } from '../store/write-batch.js';

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
  /** Settings a token of this type has (enrolment, import, Token Policies); the CLI's `token add` options. */
  parameters: readonly ParameterInfo[];
}

/**
 * How a type is shown to people. Pages find its words under its type name (`selfservice:types.<type>`,
 * `login:mfa.use.<type>` ... in `locales/<lang>/`); audit events record the type name as
 * `tokenType` or `method`.
 */
export interface TokenTypeDescription {
  /** What `token add` says it enrolled: "TOTP token", "backup codes". */
  noun: string;
  /** The SETTINGS cell of `token list` ("SHA1/6/30s"), empty when the type has none. */
  settings(token: Token): string;
}

/** What the doors may need to show after an enrolment, once. */
export interface EnrolmentResult {
  token: Token;
  /** otpauth:// URI for a QR code (software OATH tokens). */
  otpauthUri?: string;
  /** The secret in base32, for manual entry (software OATH tokens). */
  secretBase32?: string;
  /** One-time codes to print (backup codes). */
  codes?: string[];
}

/** What enrolling one token is asked for, by an administrator (CLI) or a user (self-service profile). */
export interface EnrolRequest {
  userId: string;
  /** Account label in authenticator apps (the user name). */
  label: string;
  /** Issuer shown by authenticator apps (`mfa.issuer`). */
  issuer: string;
  /**
   * The type's settings by parameter name (CLI option strings or a Token Policy's values); a type
   * reads its own and applies its defaults to the others.
   */
  settings: Readonly<Record<string, unknown>>;
  /** A given secret (hardware, scripted imports): never shown back. Without one a type generates it. */
  secret?: Uint8Array;
  id?: string;
  serial?: string | null;
  description?: string | null;
  /** `pending` for a self-service enrolment, activated by its first code. */
  status?: TokenStatus;
  tokenPolicy?: string | null;
}

/** What a pending self-service token shows again (a reload of its confirmation page). */
export interface Provisioning {
  /** The QR code's payload (an otpauth:// URI). */
  uri: string;
  /** The secret in base32, for typing in. */
  secretBase32: string;
}

/** The result of a resynchronisation: where the token continues. */
export interface ResyncResult {
  counter?: number;
  drift?: number;
}

/** Who may enrol tokens of a type: nobody (absent), administrators, or users too. */
export type EnrolledBy = 'administrator' | 'user';

/** What a token type is, without a store: enough for schemas, the CLI's options and lists of names. */
export interface TokenTypeSpec {
  readonly info: TokenTypeInfo;
  readonly describe: TokenTypeDescription;
  /**
   * What a Token Policy may set for this type (a zod object of settings with defaults); a type
   * without it cannot be named by a Token Policy.
   */
  readonly policySettings?: z.ZodObject;
  /** The channel a sent-passcode type delivers through. */
  readonly channel?: Channel;
  /**
   * Who enrols tokens of this type (`token add`; `user`: the self-service site too, pending until
   * the first code confirms them). Absent: tokens come from elsewhere (the directory's channels).
   */
  readonly enrolledBy?: EnrolledBy;
}

/** What a token type does once it is built over the store. */
export interface TokenTypeBehaviour {
  /** Checks a response; accepting it is atomic in the store (at most once, across processes). */
  verify(token: Token, response: string, context: VerifyContext): Promise<boolean>;
  /** Creates a token (required when `enrolledBy` is set). */
  enrol?(request: EnrolRequest): Promise<EnrolmentResult>;
  /** The provisioning of a pending token, shown again (required when `enrolledBy` is `user`). */
  provisioning?(token: Token, label: string, issuer: string): Promise<Provisioning>;
  /** Resynchronises a token from two consecutive codes within `window` of its position. */
  resync?(token: Token, codes: [string, string], window: number): Promise<ResyncResult>;
}

/**
 * A token type plug-in as the rest of Passgate asks it: its description, settings, enrolment,
 * verification and resynchronisation. Adding a type is one file plus one line in registry.ts.
 */
export interface TokenType extends TokenTypeSpec, TokenTypeBehaviour {}

/** A token type as written in its file: the spec, and how to build its behaviour over the store. */
export interface TokenTypePlugin extends TokenTypeSpec {
  create(deps: TokenTypeDeps): TokenTypeBehaviour;
}

/** Context of one verification. */
export interface VerifyContext {
  /** The login challenge being answered (passcodes are bound to it). */
  challengeId?: string;
  /**
   * Writes that belong with an accepted response (its audit record): a type whose acceptance is
   * one conditional write stores them in that write's transaction, only if it accepts, and they
   * are then marked stored ({@link WriteBatch.stored}); any other type leaves them to the caller.
   */
  whenAccepted?: WriteBatch;
}

/** What the token types are built from (by the composition root). */
export interface TokenTypeDeps {
  tokens: TokensRepository;
  backupCodes: BackupCodesRepository;
  /** Keyed hashes of backup codes. */
  backupHasher: CodeHasher;
  passcodes: PasscodesRepository;
  /** Keyed hashes of sent passcodes. */
  passcodeHasher: CodeHasher;
  clock: Clock;
  totpWindow: number;
  hotpWindow: number;
}
