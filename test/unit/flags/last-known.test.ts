import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileLastKnownStore } from '../../../src/flags/last-known.js';

describe('FileLastKnownStore (the embedded state file)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'switchyard-last-known-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const flags = { savedAt: 1_700_000_000_000, response: { version: 2, features: [{ name: 'switchyard.mcp-logs', enabled: true, strategies: [] }] } };

  it('creates its directory, writes by rename, and reads back what it wrote', async () => {
    const path = join(dir, '.switchyard', 'state.json');
    const store = new FileLastKnownStore(path);
    expect(store.describe).toBe(`state file ${path}`);
    expect(await store.load()).toBeUndefined();
    await store.save(flags);
    expect(await store.load()).toEqual(flags);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ unleash: flags });
    // No temporary file left behind.
    expect(await readdir(join(dir, '.switchyard'))).toEqual(['state.json']);
  });

  it('holds nothing when the file is unreadable, not JSON, or not flags: a bad file never blocks a start', async () => {
    const path = join(dir, 'state.json');
    const store = new FileLastKnownStore(path);
    await writeFile(path, '{ not json');
    expect(await store.load()).toBeUndefined();
    await writeFile(path, JSON.stringify({ unleash: { savedAt: 'yesterday', response: {} } }));
    expect(await store.load()).toBeUndefined();
    expect(await new FileLastKnownStore(dir).load()).toBeUndefined();
  });
});
