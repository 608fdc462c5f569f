import { z } from 'zod';

/**
 * The single sign-on session every door shares (`sessions`): how long a browser that signed in
 * once is answered without signing in again. The self-service site keeps its own shorter idle
 * time (`selfservice.sessionIdleMinutes`).
 */
export const sessionsSchema = z
  .strictObject({
    absoluteHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(8)
      .describe(
        'A single sign-on session ends this many hours after its sign-in, however active: the next application asks for the password again.',
      ),
    idleMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(60)
      .describe(
        'A single sign-on session ends after this many minutes in which no application was signed in to from it.',
      ),
  })
  .prefault({})
  .describe(
    'Single sign-on: one server-side session per browser sign-in, shared by every door (SAML, OIDC, self-service); see docs/sessions.md.',
  );
