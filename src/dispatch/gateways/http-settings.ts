import { z } from 'zod';
import { secretReference } from '../template.js';

/**
 * Settings shared by the HTTP-based gateways (`http`, `voice`): how to build the request, how to
 * tell that the provider accepted the message, and how to read its status callbacks.
 */

const regex = z.string().refine(isRegex, { message: 'expected a regular expression' });

function isRegex(value: string): boolean {
  try {
    new RegExp(value);
    return true;
  } catch {
    return false;
  }
}

const body = z
  .strictObject({
    form: z
      .record(z.string(), z.string())
      .optional()
      .describe('Fields sent as `application/x-www-form-urlencoded` (Twilio and most SMS APIs).'),
    json: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('A JSON object sent as `application/json`; its string values may hold placeholders.'),
    raw: z
      .string()
      .optional()
      .describe(
        'A body sent as written once placeholders are replaced; encode them with filters (`{text|xml}`).',
      ),
    contentType: z.string().default('text/plain; charset=utf-8').describe('Content-Type of a `raw` body.'),
  })
  .refine((b) => [b.form, b.json, b.raw].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of form, json or raw',
  });

const success = z
  .strictObject({
    statusMin: z
      .number()
      .int()
      .min(100)
      .max(599)
      .default(200)
      .describe('Lowest HTTP status that means accepted.'),
    statusMax: z
      .number()
      .int()
      .min(100)
      .max(599)
      .default(299)
      .describe('Highest HTTP status that means accepted.'),
    bodyPattern: regex.optional().describe('Regular expression the response body must also match.'),
    jsonPath: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Dotted path into the JSON response (`status`, `messages.0.status`) whose value must equal `jsonEquals`.',
      ),
    jsonEquals: z
      .union([z.string(), z.number(), z.boolean()])
      .optional()
      .describe('Value expected at `jsonPath`, compared as text.'),
  })
  .refine((s) => (s.jsonPath === undefined) === (s.jsonEquals === undefined), {
    message: 'jsonPath and jsonEquals go together',
  });

const messageId = z.strictObject({
  jsonPath: z
    .string()
    .min(1)
    .optional()
    .describe('Dotted path of the provider message id in the JSON response (Twilio: `sid`).'),
  pattern: regex
    .optional()
    .describe('Regular expression over the response body whose first group is the id.'),
});

const receipts = z.strictObject({
  secret: secretReference.describe(
    'Shared secret, as `{env.NAME}`, that callbacks present in the `X-Passgate-Token` header or `?token=`.',
  ),
  idField: z
    .string()
    .min(1)
    .default('id')
    .describe('Field (dotted path) of the provider message id (Twilio: `MessageSid`).'),
  statusField: z
    .string()
    .min(1)
    .default('status')
    .describe('Field (dotted path) of the status (Twilio: `MessageStatus`).'),
  delivered: z.array(z.string()).default(['delivered']).describe('Provider statuses that mean delivered.'),
  failed: z
    .array(z.string())
    .default(['failed', 'undelivered', 'rejected', 'expired'])
    .describe('Provider statuses that mean not delivered; other statuses are acknowledged and ignored.'),
});

/** The request and response options of an HTTP-based gateway. */
export const httpRequestShape = {
  method: z.enum(['POST', 'PUT', 'GET']).default('POST').describe('HTTP method.'),
  url: z
    .string()
    .regex(/^https?:\/\//, 'expected an http:// or https:// URL')
    .describe('Request URL; placeholders (`{to}`, `{env.ACCOUNT}` ...) are URL-encoded.'),
  headers: z
    .record(z.string(), z.string())
    .default({})
    .describe('Extra request headers; values may hold placeholders such as `{env.API_KEY}`.'),
  auth: z
    .strictObject({
      username: z.string().min(1).describe('User name (may be `{env.NAME}`).'),
      password: secretReference.describe('Password as `{env.NAME}`.'),
    })
    .optional()
    .describe('HTTP basic authentication.'),
  body: body
    .optional()
    .describe(
      'Request body: exactly one of `form`, `json` or `raw`. Placeholders: `{to}`, `{toDigits}`, `{text}`, `{id}`, `{spoken}`, `{language}`, `{subject}`, `{channel}`, `{env.NAME}`; filters `|url`, `|json`, `|xml`, `|raw`.',
    ),
  success: success.prefault({}).describe('How an accepted message is recognised in the response.'),
  messageId: messageId.prefault({}).describe('Where the provider message id is in the response.'),
  receipts: receipts
    .optional()
    .describe('Status callbacks accepted at `POST /dispatch/receipts/<name>`; none without this.'),
};

/** Validated request and response options of an HTTP-based gateway. */
export type HttpRequestSettings = z.output<z.ZodObject<typeof httpRequestShape>>;
