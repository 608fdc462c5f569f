import { z } from 'zod';
import { TOKEN_TYPES, typeNames } from '../../../tokens/registry.js';
import { condition, lowerSet } from './condition.js';

const names = z.array(z.string().min(1).max(256)).min(1);

/** The user is a member of one of these groups (nested membership counts; case-insensitive). */
export const groups = condition({
  key: 'groups',
  schema: names,
  compile(value) {
    const wanted = [...lowerSet(value)];
    return ({ groups: mine }) => wanted.some((g) => mine.has(g));
  },
  async check(value, knowledge) {
    if (!knowledge.groups) return [];
    const known = await knowledge.groups();
    return value
      .filter((g) => !known.has(g.toLowerCase()))
      .map((g) => `unknown group "${g}" (no user of the directory is a member)`);
  },
});

/** The login is for one of these applications: OIDC client ids, SAML SP names, RADIUS clients. */
export const applications = condition({
  key: 'applications',
  schema: names,
  compile(value) {
    const set = new Set(value);
    return ({ application }) => set.has(application);
  },
});

/** The doors a login can come through (what `doors` may name, and the simulator may play). */
export const LOGIN_DOORS = [
  'oidc',
  'saml',
  'radius',
  'activesync',
  'selfservice',
  'admin',
  'reset',
  'devices',
] as const;

/** The login came through one of these doors. */
export const doors = condition({
  key: 'doors',
  schema: z.array(z.enum(LOGIN_DOORS)).min(1),
  compile(value) {
    const set = new Set<string>(value);
    return ({ door }) => set.has(door);
  },
});

/** A token type of the registry. */
const tokenType = z.enum(typeNames(TOKEN_TYPES));

/** The user has a usable second factor of one of these types. */
export const hasToken = condition({
  key: 'hasToken',
  schema: z.array(tokenType).min(1),
  compile(value) {
    return ({ tokenTypes }) => value.some((t) => tokenTypes.has(t));
  },
});

/** The user has no usable second factor of any of these types. */
export const lacksToken = condition({
  key: 'lacksToken',
  schema: z.array(tokenType).min(1),
  compile(value) {
    return ({ tokenTypes }) => !value.some((t) => tokenTypes.has(t));
  },
});
