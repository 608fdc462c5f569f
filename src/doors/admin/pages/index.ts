import type { AdminPage } from '../page.js';
import { applicationsPage } from './applications.js';
import { auditPage } from './audit.js';
import { devicesPage } from './devices.js';
import { gatewaysPage } from './gateways.js';
import { homePage } from './home.js';
import { monitoringPage } from './monitoring.js';
import { policiesPage } from './policies.js';
import { tokenImportPage } from './token-import.js';
import { userPage } from './user.js';
import { usersPage } from './users.js';

/**
 * Every page of the administration site. Adding one is a file in this folder exporting an
 * `AdminPage` (its navigation entry and its routes, each with the permission it needs) and one
 * line here; its views go under `views/admin/`, its words under `admin` in `locales/en/admin.json`.
 */
export const ADMIN_PAGES: readonly AdminPage[] = [
  homePage,
  usersPage,
  userPage, // after usersPage: its `/admin/users/:id...` routes must not take `bulk` or `columns` for an id
  auditPage,
  policiesPage,
  tokenImportPage,
  gatewaysPage,
  monitoringPage,
  applicationsPage,
  devicesPage,
];
