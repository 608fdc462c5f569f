/**
 * Authentication context classes (SAML core 3.3.2.2.1, saml-authn-context): what Passgate states
 * in an assertion's AuthnContextClassRef, and how it meets an AuthnRequest's
 * RequestedAuthnContext. Passgate proves one of two things about a sign-in: the password alone
 * over TLS, or the password and a second factor; `CLASSES` ranks every class it knows against
 * those two, and says which it may state after each.
 */

/** What a sign-in proved: the password alone, or the password and a second factor. */
export type AssuranceLevel = 'password' | 'mfa';

const AC = 'urn:oasis:names:tc:SAML:2.0:ac:classes:';

/** The classes Passgate states by default. */
export const AUTHN_CONTEXT = {
  /** The password over TLS (SAML 2.0). */
  password: `${AC}PasswordProtectedTransport`,
  /** REFEDS MFA: two independent factors (https://refeds.org/profile/mfa). */
  refedsMfa: 'https://refeds.org/profile/mfa',
  /** Microsoft's "MFA done": Entra ID honours it with federatedIdpMfaBehavior. */
  microsoftMfa: 'http://schemas.microsoft.com/claims/multipleauthn',
} as const;

/** A class Passgate knows: its strength, and after which sign-ins it may state it (none: never). */
interface KnownClass {
  rank: number;
  stated?: AssuranceLevel;
}

/** Strength of the assurance levels, on the same scale as the classes. */
const LEVEL_RANK: Record<AssuranceLevel, number> = { password: 2, mfa: 3 };

/**
 * The strength table, weakest first (docs/saml.md shows it). Rank 4 classes (certificates,
 * smart cards) are stronger than anything Passgate does: they can be named in a request only
 * with `maximum`, or next to a class Passgate can meet.
 */
export const CLASSES: Readonly<Record<string, KnownClass>> = {
  [`${AC}unspecified`]: { rank: 0, stated: 'password' },
  [`${AC}InternetProtocol`]: { rank: 0 },
  [`${AC}InternetProtocolPassword`]: { rank: 1 },
  [`${AC}Password`]: { rank: 1 },
  [`${AC}PasswordProtectedTransport`]: { rank: 2, stated: 'password' },
  'https://refeds.org/profile/sfa': { rank: 2, stated: 'password' },
  [AUTHN_CONTEXT.refedsMfa]: { rank: 3, stated: 'mfa' },
  [AUTHN_CONTEXT.microsoftMfa]: { rank: 3, stated: 'mfa' },
  [`${AC}MobileTwoFactorContract`]: { rank: 3, stated: 'mfa' },
  [`${AC}MobileTwoFactorUnregistered`]: { rank: 3, stated: 'mfa' },
  [`${AC}TimeSyncToken`]: { rank: 3, stated: 'mfa' },
  [`${AC}X509`]: { rank: 4 },
  [`${AC}XMLDSig`]: { rank: 4 },
  [`${AC}PGP`]: { rank: 4 },
  [`${AC}SPKI`]: { rank: 4 },
  [`${AC}TLSClient`]: { rank: 4 },
  [`${AC}Smartcard`]: { rank: 4 },
  [`${AC}SmartcardPKI`]: { rank: 4 },
  [`${AC}SoftwarePKI`]: { rank: 4 },
};

/** The comparisons of a RequestedAuthnContext. */
export const COMPARISONS = ['exact', 'minimum', 'better', 'maximum'] as const;

/** An AuthnRequest's RequestedAuthnContext (class references only; declarations are not supported). */
export interface RequestedAuthnContext {
  comparison: (typeof COMPARISONS)[number];
  classRefs: string[];
}

/** The classes an SP is sent after each level (its file's `authnContext`, else its profile's). */
export type StatedClasses = Record<AssuranceLevel, string>;

/** One class Passgate may state after a sign-in at some level, with its strength. */
interface Candidate {
  classRef: string;
  rank: number;
}

/**
 * What Passgate may state after a sign-in at `level`: the table's classes of that level or below,
 * and the SP's own classes (a class the table does not know counts as its level's strength).
 */
function candidates(level: AssuranceLevel, stated: StatedClasses): Candidate[] {
  const levels: AssuranceLevel[] = level === 'mfa' ? ['password', 'mfa'] : ['password'];
  const found = new Map<string, number>();
  for (const [classRef, known] of Object.entries(CLASSES)) {
    if (known.stated && levels.includes(known.stated)) found.set(classRef, known.rank);
  }
  for (const l of levels) found.set(stated[l], CLASSES[stated[l]]?.rank ?? LEVEL_RANK[l]);
  return [...found].map(([classRef, rank]) => ({ classRef, rank }));
}

/** Whether stating `candidate` meets the request (SAML core 3.3.2.2.1). */
function meets(candidate: Candidate, requested: RequestedAuthnContext, stated: StatedClasses): boolean {
  if (requested.comparison === 'exact') return requested.classRefs.includes(candidate.classRef);
  const ranks = requested.classRefs
    .map((ref) => CLASSES[ref]?.rank ?? ownRank(ref, stated))
    .filter((rank): rank is number => rank !== undefined);
  if (ranks.length === 0) return false;
  switch (requested.comparison) {
    case 'minimum':
      return ranks.some((rank) => candidate.rank >= rank);
    case 'better':
      return ranks.some((rank) => candidate.rank > rank);
    case 'maximum':
      return ranks.some((rank) => candidate.rank <= rank);
  }
}

/** The strength of an SP's own class (not in the table): its level's. */
function ownRank(classRef: string, stated: StatedClasses): number | undefined {
  if (classRef === stated.mfa) return LEVEL_RANK.mfa;
  if (classRef === stated.password) return LEVEL_RANK.password;
  return undefined;
}

/**
 * The class to state after a sign-in at `level`, or undefined when none meets the request (the
 * answer is then NoAuthnContext). Without a request: the SP's class of that level. Otherwise,
 * among the classes that meet it (only the strongest of them for `maximum`): the SP's class of
 * that level, else the first requested one, else the SP's password class, else the strongest.
 */
export function classToState(
  level: AssuranceLevel,
  stated: StatedClasses,
  requested: RequestedAuthnContext | undefined,
): string | undefined {
  if (!requested) return stated[level];
  let fitting = candidates(level, stated).filter((c) => meets(c, requested, stated));
  if (fitting.length === 0) return undefined;
  if (requested.comparison === 'maximum') {
    const best = Math.max(...fitting.map((c) => c.rank));
    fitting = fitting.filter((c) => c.rank === best);
  }
  const refs = fitting.map((c) => c.classRef);
  const preferred = [stated[level], ...requested.classRefs, stated.password].find((ref) =>
    refs.includes(ref),
  );
  return preferred ?? [...fitting].sort((a, b) => b.rank - a.rank)[0]!.classRef;
}

/**
 * The least a sign-in must prove to meet the request: `password`, `mfa` (a step-up: the policy
 * asks for a second factor whatever its rules say), or undefined when Passgate cannot meet it at
 * all (NoAuthnContext at once, before anyone signs in).
 */
export function requiredLevel(
  stated: StatedClasses,
  requested: RequestedAuthnContext | undefined,
): AssuranceLevel | undefined {
  if (classToState('password', stated, requested) !== undefined) return 'password';
  return classToState('mfa', stated, requested) !== undefined ? 'mfa' : undefined;
}
