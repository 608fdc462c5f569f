import type { Request } from 'express';
import { AdminErrors } from './errors.js';

/** A file a form sent (multipart/form-data), held in memory: uploads here are small text files. */
export interface UploadedFile {
  /** The name the browser gave; never trusted as a path. */
  name: string;
  bytes: Buffer;
}

/** What a route that takes files declares: the most bytes the whole form may have. */
export interface UploadLimits {
  maxBytes: number;
}

/**
 * Reads a multipart/form-data body into `req.body`: text fields as strings, files as
 * {@link UploadedFile}. Run after the authorisation check (a refused request is never read) and
 * before the CSRF check (which reads `_csrf` from the body). A body over `maxBytes` is refused
 * with ADMIN_UPLOAD_TOO_LARGE before it is parsed; a form sent urlencoded is left to its parser.
 */
export async function readUpload(req: Request, limits: UploadLimits): Promise<void> {
  const type = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type)) return;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limits.maxBytes) throw tooLarge(limits.maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limits.maxBytes) throw tooLarge(limits.maxBytes);
    chunks.push(chunk);
  }
  let form: FormData;
  try {
    form = await new Response(Buffer.concat(chunks), { headers: { 'content-type': type } }).formData();
  } catch {
    throw AdminErrors.ADMIN_BAD_INPUT({ detail: 'the multipart form could not be read' });
  }
  const body: Record<string, string | UploadedFile> = {};
  for (const [field, value] of form.entries()) {
    if (field in body) continue;
    body[field] =
      typeof value === 'string' ? value : { name: value.name, bytes: Buffer.from(await value.arrayBuffer()) };
  }
  req.body = body;
}

/** The file a form sent in `field`, if it sent a non-empty one. */
export function uploadedFile(req: Request, field: string): UploadedFile | undefined {
  const value = (req.body as Record<string, unknown> | undefined)?.[field];
  if (!value || typeof value !== 'object' || !Buffer.isBuffer((value as UploadedFile).bytes))
    return undefined;
  const file = value as UploadedFile;
  return file.bytes.length > 0 ? file : undefined;
}

/** A text field of a form (urlencoded or multipart); '' when absent. */
export function formField(req: Request, field: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[field];
  return typeof value === 'string' ? value : '';
}

function tooLarge(maxBytes: number) {
  return AdminErrors.ADMIN_UPLOAD_TOO_LARGE({ detail: `more than ${maxBytes} bytes` });
}
