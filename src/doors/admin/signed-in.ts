import type { AdminRole } from '../../config/admin-schema.js';
import type { User } from '../../store/repositories/user.js';
import type { AdminSession } from './session.js';

/** The administrator of a request: the user, the role they hold now, and their session. */
export interface SignedInAdmin {
  user: User;
  role: AdminRole;
  session: AdminSession;
}
