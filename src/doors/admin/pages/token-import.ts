import type { Request } from 'express';
import {
  ImportErrors,
  importTokens,
  planImport,
  type ReadOptions,
  readTokenFile,
} from '../../../tokens/import/index.js';
import type { AdminPage, AdminRequest } from '../page.js';
import { adminSessionOf } from '../session.js';
import { formField, uploadedFile } from '../upload.js';

/** Files larger than this are for `passgate token import` (the page carries the file between its steps). */
const MAX_UPLOAD_BYTES = 4 * 1024 * 1024;
/** How long a checked file may be imported after its dry run. */
const CHECKED_MINUTES = 15;
const FORMATS = ['auto', 'pskc', 'csv'] as const;
const ENCODINGS = ['auto', 'hex', 'base32'] as const;

/** What the dry run hands on to the import, sealed: the file and the options it was checked with. */
interface CheckedFile {
  name: string;
  text: string;
  psk: string;
  user: string;
  format: (typeof FORMATS)[number];
  userColumn: string;
  secretEncoding: (typeof ENCODINGS)[number];
  expiresAt: number;
}

/**
 * Token import (administrators only): a PSKC or CSV file is checked first (a dry run listing
 * every entry, its owner, its problems and duplicates), then imported, through the same reader
 * and import as `passgate token import`. Between the two steps the file travels sealed with the
 * master key and bound to the session; no seed or key is ever shown.
 */
export const tokenImportPage: AdminPage = {
  nav: {
    id: 'token-import',
    label: 'admin:nav.tokenImport',
    path: '/admin/tokens/import',
    permission: 'imports.write',
    order: 15,
  },
  routes: [
    {
      method: 'get',
      path: '/admin/tokens/import',
      permission: 'imports.write',
      async handle({ render }) {
        await render('token-import', {
          form: blankForm(),
          plan: undefined,
          error: undefined,
          done: undefined,
        });
      },
    },
    {
      method: 'post',
      path: '/admin/tokens/import/check',
      permission: 'imports.write',
      upload: { maxBytes: MAX_UPLOAD_BYTES },
      async handle(request) {
        const { req, site } = request;
        const file = uploadedFile(req, 'file');
        const checked = formOf(
          req,
          file?.name ?? '',
          file?.bytes.toString('utf8') ?? '',
          site.context.clock(),
        );
        if (!file) return showError(request, checked, 'admin:tokenImport.noFile');
        await runStep(request, checked, async () => {
          const plan = await planImport(site.context.core, await read(checked), optionsOf(checked));
          const sealed =
            plan.problems.length === 0
              ? site.context.core.box.seal(JSON.stringify(checked), sealContext(req))
              : undefined;
          await request.render('token-import', {
            form: checked,
            plan,
            sealed,
            error: undefined,
            done: undefined,
          });
        });
      },
    },
    {
      method: 'post',
      path: '/admin/tokens/import',
      permission: 'imports.write',
      async handle(request) {
        const { req, admin, site } = request;
        const checked = openChecked(request);
        if (!checked) return showError(request, blankForm(), 'admin:tokenImport.expired');
        await runStep(request, checked, async () => {
          const { core } = site.context;
          const audit = {
            record: (event: { type: string; details?: unknown }) =>
              site.auditChange(
                admin,
                event.type,
                null,
                { file: checked.name, ...(event.details as object) },
                req.ip,
              ),
          };
          const done = await importTokens({ ...core, audit }, await read(checked), {
            ...optionsOf(checked),
            via: 'admin',
          });
          await request.render('token-import', {
            form: blankForm(),
            plan: undefined,
            error: undefined,
            done,
          });
        });
      },
    },
  ],
};

function blankForm(): CheckedFile {
  return {
    name: '',
    text: '',
    psk: '',
    user: '',
    format: 'auto',
    userColumn: 'user',
    secretEncoding: 'auto',
    expiresAt: 0,
  };
}

function formOf(req: Request, name: string, text: string, now: number): CheckedFile {
  const pick = <T extends string>(value: string, allowed: readonly T[]): T =>
    (allowed as readonly string[]).includes(value) ? (value as T) : allowed[0]!;
  return {
    name: name.slice(0, 200),
    text,
    psk: formField(req, 'psk').trim(),
    user: formField(req, 'user').trim(),
    format: pick(formField(req, 'format'), FORMATS),
    userColumn: formField(req, 'userColumn').trim() || 'user',
    secretEncoding: pick(formField(req, 'secretEncoding'), ENCODINGS),
    expiresAt: now + CHECKED_MINUTES * 60_000,
  };
}

/** Reads the file with the CLI's reader and the options of the form. */
function read(checked: CheckedFile) {
  const options: ReadOptions = {
    name: checked.name,
    userColumn: checked.userColumn,
    secretEncoding: checked.secretEncoding,
    ...(checked.format === 'auto' ? {} : { format: checked.format }),
    ...(checked.psk ? { preSharedKey: async () => checked.psk } : {}),
  };
  return readTokenFile(checked.text, options);
}

function optionsOf(checked: CheckedFile) {
  return checked.user ? { user: checked.user } : {};
}

/** The sealed file of a dry run, if it is this session's and not expired. */
function openChecked({ req, site }: AdminRequest): CheckedFile | undefined {
  const sealed = formField(req, 'checked');
  if (!sealed) return undefined;
  try {
    const checked = JSON.parse(
      site.context.core.box.open(sealed, sealContext(req)).toString('utf8'),
    ) as CheckedFile;
    return checked.expiresAt > site.context.clock() ? checked : undefined;
  } catch {
    return undefined;
  }
}

function sealContext(req: Request): string {
  return `admin-token-import:${adminSessionOf(req)?.sid ?? ''}`;
}

/** Runs a step; a file the reader or the import refuses is shown on the page with its reasons. */
async function runStep(request: AdminRequest, form: CheckedFile, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (!ImportErrors.is(error)) throw error;
    await request.render(
      'token-import',
      {
        form: { ...form, psk: '' },
        plan: undefined,
        done: undefined,
        error: { code: error.code, detail: error.message },
      },
      400,
    );
  }
}

async function showError(request: AdminRequest, form: CheckedFile, key: string): Promise<void> {
  await request.render(
    'token-import',
    { form: { ...form, psk: '' }, plan: undefined, done: undefined, error: { key } },
    400,
  );
}
