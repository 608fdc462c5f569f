import { DOMParser, type Element } from '@xmldom/xmldom';
import { type Eas4tbsyncWbxml, eas4tbsync } from './eas4tbsync.js';
import { decodeActiveSync } from './wbxml.js';

/** A phone as the ActiveSync door sees it: its DeviceId, DeviceType and User-Agent. */
export interface EasDevice {
  id: string;
  type: string;
  userAgent?: string;
}

/** An answer: the HTTP status, and the WBXML body read by eas4tbsync (null when there is none). */
export interface EasAnswer {
  status: number;
  headers: Headers;
  data: Record<string, unknown> | null;
}

/** A mailbox folder from FolderSync. */
export interface EasFolder {
  serverId: string;
  parentId: string;
  displayName: string;
  type: string;
}

/** A FolderSync answer with its folders listed. */
export interface FolderSyncAnswer extends EasAnswer {
  folders: EasFolder[];
}

/** A Sync answer with the collection's new SyncKey and the items it added. */
export interface SyncAnswer extends EasAnswer {
  syncKey?: string;
  added: { serverId: string; data: Record<string, unknown> }[];
}

/** The EAS command codes of the base64-encoded query (MS-ASHTTP 2.2.1.1.1.1.2). */
const COMMAND_CODES: Record<string, number> = { Sync: 0, FolderSync: 9, Ping: 18, Provision: 20 };

/**
 * The test EAS client: Provision, FolderSync, Sync and Ping written with Debian's eas4tbsync (its
 * WBXML writer, with the tag sequences it sends; test/support/eas4tbsync.ts), sent the way its `sendRequestPromise` sends them (Basic
 * credentials, `Cmd`, `User`, `DeviceId`, `DeviceType` in the query, MS-ASProtocolVersion 14.0,
 * X-MS-PolicyKey once provisioned), or with the base64-encoded query phones also use. It keeps
 * the FolderSync and per-collection SyncKeys and the policy key as a phone does.
 */
export class EasClient {
  /** The policy key from the last Provision (sent as X-MS-PolicyKey). */
  policyKey: string | undefined;
  /** The hierarchy SyncKey from the last FolderSync. */
  folderSyncKey = '0';
  /** The SyncKey of each collection synced. */
  readonly syncKeys = new Map<string, string>();

  constructor(
    private readonly options: {
      /** The ActiveSync URL, e.g. `${passgate.url}/Microsoft-Server-ActiveSync`. */
      url: string;
      username: string;
      password: string;
      device: EasDevice;
      /** `base64` sends the device and command in the base64-encoded query instead of plain. */
      query?: 'plain' | 'base64';
    },
  ) {}

  /** Provision as eas4tbsync does: ask for the policy, then acknowledge the temporary key. */
  async provision(): Promise<EasAnswer & { provisionStatus?: string; policyStatus?: string }> {
    let answer: EasAnswer | undefined;
    let policyKey: string | undefined;
    for (let round = 0; round < 2; round++) {
      answer = await this.send('Provision', (w) => {
        w.switchpage('Provision');
        w.otag('Provision');
        w.otag('Policies');
        w.otag('Policy');
        w.atag('PolicyType', 'MS-EAS-Provisioning-WBXML');
        if (policyKey) {
          w.atag('PolicyKey', policyKey);
          w.atag('Status', '1');
        }
        w.ctag();
        w.ctag();
        w.ctag();
      });
      const policyStatus = field(answer, 'Provision.Policies.Policy.Status');
      policyKey = field(answer, 'Provision.Policies.Policy.PolicyKey');
      if (field(answer, 'Provision.Status') !== '1' || policyStatus !== '1' || !policyKey) break;
      this.policyKey = policyKey;
    }
    const final = answer as EasAnswer;
    return {
      ...final,
      provisionStatus: field(final, 'Provision.Status'),
      policyStatus: field(final, 'Provision.Policies.Policy.Status'),
    };
  }

  /** FolderSync from the last hierarchy SyncKey; lists the folders added. */
  async folderSync(): Promise<FolderSyncAnswer> {
    const answer = await this.send('FolderSync', (w) => {
      w.switchpage('FolderHierarchy');
      w.otag('FolderSync');
      w.atag('SyncKey', this.folderSyncKey);
      w.ctag();
    });
    const syncKey = field(answer, 'FolderSync.SyncKey');
    if (syncKey) this.folderSyncKey = syncKey;
    const adds = list(answer, 'FolderSync.Changes.Add') as Record<string, string>[];
    const folders = adds.map((add) => ({
      serverId: add.ServerId ?? '',
      parentId: add.ParentId ?? '',
      displayName: add.DisplayName ?? '',
      type: add.Type ?? '',
    }));
    return { ...answer, folders };
  }

  /**
   * Syncs one collection as eas4tbsync does: SyncKey 0 first (the server answers a key), then
   * GetChanges with its Options (Class, plain-text BodyPreference) from that key.
   */
  async sync(collectionId: string, type = 'Email'): Promise<SyncAnswer> {
    const syncKey = this.syncKeys.get(collectionId) ?? '0';
    const answer = await this.send('Sync', (w) => {
      w.otag('Sync');
      w.otag('Collections');
      w.otag('Collection');
      w.atag('SyncKey', syncKey);
      w.atag('CollectionId', collectionId);
      if (syncKey !== '0') {
        w.atag('DeletesAsMoves');
        w.atag('GetChanges');
        w.atag('WindowSize', '100');
        w.otag('Options');
        w.atag('Class', type);
        w.switchpage('AirSyncBase');
        w.otag('BodyPreference');
        w.atag('Type', '1');
        w.ctag();
        w.switchpage('AirSync');
        w.ctag();
      }
      w.ctag();
      w.ctag();
      w.ctag();
    });
    const next = field(answer, 'Sync.Collections.Collection.SyncKey');
    if (next) this.syncKeys.set(collectionId, next);
    const added = list(answer, 'Sync.Collections.Collection.Commands.Add') as {
      ServerId: string;
      ApplicationData: Record<string, unknown>;
    }[];
    return {
      ...answer,
      syncKey: next,
      added: added.map((add) => ({ serverId: add.ServerId, data: add.ApplicationData })),
    };
  }

  /** A long-poll Ping on these folders: held by the server until a change or the heartbeat. */
  ping(heartbeatSeconds: number, folders: { id: string; class: string }[]): Promise<EasAnswer> {
    return this.send('Ping', (w) => {
      w.switchpage('Ping');
      w.otag('Ping');
      w.atag('HeartbeatInterval', String(heartbeatSeconds));
      w.otag('Folders');
      for (const folder of folders) {
        w.otag('Folder');
        w.atag('Id', folder.id);
        w.atag('Class', folder.class);
        w.ctag();
      }
      w.ctag();
      w.ctag();
    });
  }

  /** Sends one command written with eas4tbsync's WBXML writer, and reads the answer with its decoder. */
  async send(
    command: string,
    write: (w: ReturnType<Eas4tbsyncWbxml['createWBXML']>) => void,
  ): Promise<EasAnswer> {
    const writer = eas4tbsync().createWBXML();
    write(writer);
    const { username, password, device } = this.options;
    const headers: Record<string, string> = {
      'user-agent': device.userAgent ?? 'Thunderbird ActiveSync',
      'content-type': 'application/vnd.ms-sync.wbxml',
      authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
      'ms-asprotocolversion': '14.0',
    };
    if (this.policyKey) headers['x-ms-policykey'] = this.policyKey;
    const res = await fetch(`${this.options.url}?${this.query(command)}`, {
      method: 'POST',
      headers,
      // eas4tbsync's writer makes a string of char codes, sent UTF-8 encoded (its TextEncoder).
      body: new TextEncoder().encode(writer.getBytes()),
    });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200 || body.length === 0)
      return { status: res.status, headers: res.headers, data: null };
    // eas4tbsync's decoder stops at opaque data (Email2 ConversationId in mail), which Thunderbird
    // never syncs: answers are decoded by libwbxml2 (test/support/wbxml.ts), the other real codec.
    return { status: res.status, headers: res.headers, data: readAnswer(decodeActiveSync(body)) };
  }

  /** `Cmd=…&User=…&DeviceId=…&DeviceType=…`, or the base64-encoded query of MS-ASHTTP 2.2.1.1.1.1. */
  private query(command: string): string {
    const { username, device } = this.options;
    if (this.options.query !== 'base64')
      return `Cmd=${command}&User=${encodeURIComponent(username)}&DeviceId=${device.id}&DeviceType=${encodeURIComponent(device.type)}`;
    const code = COMMAND_CODES[command];
    if (code === undefined) throw new Error(`no base64 query code for ${command}`);
    const counted = (text: string | Buffer) => {
      const bytes = Buffer.from(text);
      return Buffer.concat([Buffer.from([bytes.length]), bytes]);
    };
    const policyKey = this.policyKey ? Buffer.alloc(4) : Buffer.alloc(0);
    if (this.policyKey) policyKey.writeUInt32LE(Number(this.policyKey));
    const bytes = Buffer.concat([
      Buffer.from([140, code, 0x09, 0x04]), // protocol 14.0, the command, locale 0x0409
      counted(device.id),
      counted(policyKey),
      counted(device.type),
      Buffer.from([8]), // command parameter 8: User
      counted(username),
    ]);
    return bytes.toString('base64');
  }
}

/**
 * An answer's XML as nested objects the way eas4tbsync's xmltools reads it: an element with only
 * text is its text, repeated elements become arrays, namespaces are dropped.
 */
function readAnswer(xml: string): Record<string, unknown> {
  const read = (element: Element): unknown => {
    const children: Element[] = [];
    for (let i = 0; i < element.childNodes.length; i++) {
      const node = element.childNodes.item(i);
      if (node?.nodeType === 1) children.push(node as Element);
    }
    if (children.length === 0) return element.textContent ?? '';
    const object: Record<string, unknown> = {};
    for (const child of children) {
      const value = read(child);
      const name = child.localName ?? child.nodeName;
      const previous = object[name];
      if (previous === undefined) object[name] = value;
      else object[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
    }
    return object;
  };
  const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement;
  if (!root) throw new Error(`not an ActiveSync answer: ${xml}`);
  return { [root.localName ?? root.nodeName]: read(root) };
}

/** A text field of an answer by its dotted path, or undefined. */
function field(answer: EasAnswer, path: string): string | undefined {
  const value = at(answer, path);
  return typeof value === 'string' ? value : undefined;
}

/** The elements at a dotted path of an answer, as an array (none, one or many). */
function list(answer: EasAnswer, path: string): unknown[] {
  const value = at(answer, path);
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function at(answer: EasAnswer, path: string): unknown {
  let value: unknown = answer.data;
  for (const step of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[step];
  return value;
}
