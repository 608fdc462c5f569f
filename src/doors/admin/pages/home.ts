import type { AdminPage } from '../page.js';

/** The site's front page: who is signed in, in which role, and the sections that role may open. */
export const homePage: AdminPage = {
  nav: { id: 'home', label: 'admin:nav.home', path: '/admin', permission: 'dashboard.read', order: 0 },
  routes: [
    {
      method: 'get',
      path: '/admin',
      permission: 'dashboard.read',
      async handle({ render }) {
        await render('home');
      },
    },
  ],
};
