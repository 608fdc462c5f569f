import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createContext, runInContext } from 'node:vm';
import { inflateRawSync } from 'node:zlib';

/** The parts of eas4tbsync's `content/includes/wbxmltools.js` the test client uses (its own API). */
export interface Eas4tbsyncWbxml {
  /** A WBXML writer: `switchpage(namespace)`, `otag(tag)`, `atag(tag, text)`, `ctag()`, `getBytes()`. */
  createWBXML(): {
    switchpage(name: string): void;
    otag(tag: string): void;
    atag(tag: string, content?: string): void;
    ctag(): void;
    getBytes(): string;
  };
  /** WBXML (as a string of char codes) to XML, user data encoded with encodeURIComponent. */
  convert2xml(wbxml: string): string | false;
}

/** The command that fetches Debian's package, named in the error when it cannot be fetched. */
export const EAS4TBSYNC_FETCH = 'apt-get download webext-eas4tbsync';
const CACHE = path.join(os.tmpdir(), 'passgate-eas4tbsync');
const FILE = 'content/includes/wbxmltools.js';

let loaded: Eas4tbsyncWbxml | undefined;

/**
 * The WBXML codec of Debian's `webext-eas4tbsync` (the Thunderbird ActiveSync provider), run in
 * Node: its package is fetched and unpacked once per machine (the package does not install without
 * an old Thunderbird), and its one Thunderbird import is stubbed. Fails naming the command when apt
 * cannot fetch it: the tests never fall back to other code.
 */
export function eas4tbsync(): Eas4tbsyncWbxml {
  if (loaded) return loaded;
  const dir = unpacked();
  const tbsync = { dump() {}, eventlog: { add() {} } };
  const context = createContext({ ChromeUtils: { import: () => ({ TbSync: tbsync }) }, encodeURIComponent });
  runInContext(readFileSync(path.join(dir, FILE), 'utf8'), context, { filename: FILE });
  const wbxml = runInContext('wbxmltools', context) as Eas4tbsyncWbxml & { buildCodepages2(): void };
  wbxml.buildCodepages2();
  loaded = wbxml;
  return loaded;
}

/** The unpacked add-on folder, fetched from Debian and unpacked on first use. */
function unpacked(): string {
  const target = path.join(CACHE, 'xpi');
  if (existsSync(path.join(target, FILE))) return target;
  mkdirSync(CACHE, { recursive: true });
  const work = mkdtempSync(path.join(CACHE, 'fetch-'));
  try {
    try {
      execFileSync('apt-get', ['download', 'webext-eas4tbsync'], { cwd: work, stdio: 'pipe' });
    } catch (error) {
      throw new Error(
        `The test EAS client needs Debian's webext-eas4tbsync and apt could not fetch it (${EAS4TBSYNC_FETCH}): ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`,
      );
    }
    const deb = readdirSync(work).find((name) => name.endsWith('.deb'));
    if (!deb) throw new Error(`${EAS4TBSYNC_FETCH} left no .deb in ${work}`);
    execFileSync('dpkg-deb', ['-x', deb, 'root'], { cwd: work });
    const xpi = readFileSync(path.join(work, 'root/usr/share/webext/eas4tbsync@jobisoft.de.xpi'));
    const out = path.join(work, 'xpi');
    mkdirSync(path.dirname(path.join(out, FILE)), { recursive: true });
    writeFileSync(path.join(out, FILE), zipEntry(xpi, FILE));
    // Another test file may unpack at the same time: the first complete copy wins.
    try {
      renameSync(out, target);
    } catch (error) {
      if (!existsSync(path.join(target, FILE))) throw error;
    }
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** One file of a zip archive (the .xpi), found through its central directory. */
function zipEntry(zip: Buffer, name: string): Buffer {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let at = zip.readUInt32LE(end + 16);
  for (let n = zip.readUInt16LE(end + 10); n > 0; n--) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    if (zip.toString('utf8', at + 46, at + 46 + nameLength) === name) {
      const local = zip.readUInt32LE(at + 42);
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      return method === 0 ? data : inflateRawSync(data);
    }
    at += 46 + skip;
  }
  throw new Error(`${name} is not in the eas4tbsync add-on`);
}
