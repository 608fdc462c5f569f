import { PassgateError } from '../../../errors.js';
import type { AdminPage, AdminRequest } from '../page.js';
import { field, SHOWN_ERRORS, USER_ACTION_ROUTES } from './user-actions.js';
import { showUser, userPath } from './user-view.js';

const NEW_PATH = '/admin/users/new';

/** The new-user form as typed (the password is never shown again). */
function newUserForm(body: unknown) {
  return {
    username: field(body, 'username', 256).trim(),
    displayName: field(body, 'displayName').trim(),
    email: field(body, 'email').trim(),
    mobile: field(body, 'mobile', 40).trim(),
    groups: field(body, 'groups', 2_000).trim(),
  };
}

const orNull = (text: string) => (text === '' ? null : text);

/** Creates a local user from the form, or shows the form again with the refusal (nothing written). */
async function createLocalUser({ req, res, admin, site, render }: AdminRequest): Promise<void> {
  const form = newUserForm(req.body);
  const groups = form.groups
    .split(',')
    .map((group) => group.trim())
    .filter(Boolean);
  try {
    const user = await site.context.engine.userOperations.createLocal({
      username: form.username,
      password: field(req.body, 'password', 1024),
      displayName: orNull(form.displayName),
      email: orNull(form.email),
      mobile: orNull(form.mobile),
      groups,
    });
    const { displayName, email, mobile, username } = user;
    await site.auditChange(
      admin,
      'admin.user.add',
      null,
      { username, displayName, email, mobile, groups: user.groups, source: user.source },
      req.ip,
      { userId: user.id, username },
    );
    res.redirect(303, `${userPath(user.id)}?done=created`);
  } catch (error) {
    const refused =
      error instanceof PassgateError &&
      (error.code === 'USER_NAME_INVALID' || (error.status < 500 && SHOWN_ERRORS.has(error.code)));
    if (!refused) throw error;
    await render('user-new', { form, error: error.code }, 400);
  }
}

/**
 * A user's page (issue 16 item 2) and the local users' creation: everything shown from
 * `users.read` (and the reads every role holds), each form post behind its own permission.
 */
export const userPage: AdminPage = {
  routes: [
    // Before `/admin/users/:id`, which would take "new" for an id.
    {
      method: 'get',
      path: NEW_PATH,
      permission: 'users.write',
      handle: ({ render }) => render('user-new', { form: newUserForm({}), error: null }),
    },
    { method: 'post', path: NEW_PATH, permission: 'users.write', handle: createLocalUser },
    { method: 'get', path: '/admin/users/:id', permission: 'users.read', handle: showUser },
    ...USER_ACTION_ROUTES,
  ],
};
