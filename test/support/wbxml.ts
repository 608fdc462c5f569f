import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const DOCTYPE = '<!DOCTYPE ActiveSync PUBLIC "-//MICROSOFT//DTD ActiveSync//EN" "http://www.microsoft.com/">';

/**
 * Encodes an ActiveSync command written as XML (e.g. `<FolderSync xmlns="FolderHierarchy:">...`)
 * into WBXML with the ActiveSync code pages, by Debian's libwbxml2-utils (`xml2wbxml`): the real
 * codec, never hand-written bytes.
 */
export function encodeActiveSync(xml: string): Buffer {
  return withFiles((dir) => {
    writeFileSync(path.join(dir, 'in.xml'), `<?xml version="1.0" encoding="utf-8"?>\n${DOCTYPE}\n${xml}`);
    execFileSync(
      'xml2wbxml',
      ['-a', '-n', '-v', '1.3', '-o', path.join(dir, 'out.wbxml'), path.join(dir, 'in.xml')],
      { stdio: 'ignore' },
    );
    return readFileSync(path.join(dir, 'out.wbxml'));
  });
}

/** Decodes an ActiveSync WBXML body into XML text (`wbxml2xml -l ACTIVESYNC`). */
export function decodeActiveSync(wbxml: Buffer): string {
  return withFiles((dir) => {
    writeFileSync(path.join(dir, 'in.wbxml'), wbxml);
    execFileSync(
      'wbxml2xml',
      ['-l', 'ACTIVESYNC', '-o', path.join(dir, 'out.xml'), path.join(dir, 'in.wbxml')],
      { stdio: 'ignore' },
    );
    return readFileSync(path.join(dir, 'out.xml'), 'utf8');
  });
}

function withFiles<T>(run: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-wbxml-'));
  try {
    return run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
