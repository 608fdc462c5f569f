import { POLICY_KIND_NAMES } from '../../../policy/kinds.js';
import type { AdminPage } from '../page.js';

/**
 * Policies (administrators and auditors only): for now the stored policies of every kind, read
 * only; editing them here is issue 16 item 5.
 */
export const policiesPage: AdminPage = {
  nav: {
    id: 'policies',
    label: 'admin:nav.policies',
    path: '/admin/policies',
    permission: 'policies.read',
    order: 60,
  },
  routes: [
    {
      method: 'get',
      path: '/admin/policies',
      permission: 'policies.read',
      async handle({ render, site }) {
        const policies = site.context.core.policies;
        const kinds = await Promise.all(
          POLICY_KIND_NAMES.map(async (kind) => ({
            kind,
            names: (await policies.list(kind)).map((p) => p.name),
          })),
        );
        await render('policies', { kinds });
      },
    },
  ],
};
