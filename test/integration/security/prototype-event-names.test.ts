/**
 * Event names and frame keys are client-chosen: names of Object.prototype
 * members must be unknown like any other, never reach (or hide behind)
 * something inherited.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { frameToEvent } from '../../../src/adapter/frame-to-event.js';
import { startServer, type TestServer } from '../../support/harness.js';

const ID = 'a1b2c3d4-0000-4000-8000-0000000000b7';
const NAMES = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'isPrototypeOf'];

describe('Socket.IO events named like Object.prototype members', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await startServer({ services: ['crawl-progress'] });
  });
  afterEach(async () => {
    await server.close();
  });

  it.each(NAMES)('"%s" gets an UNKNOWN_EVENT ack, and the connection keeps working', async (name) => {
    const socket = await server.sio('/crawl');
    expect(await socket.timeout(3000).emitWithAck(name, { progress_id: ID })).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT' } });
    expect(await socket.timeout(3000).emitWithAck('join_crawl', { progress_id: ID })).toMatchObject({ ok: true });
    expect(socket.connected).toBe(true);
  });
});

describe('frame decoding with keys named like Object.prototype members', () => {
  it('treats them as unknown keys and never as a prototype', async () => {
    const { loadPlans } = await import('../../../src/adapter/plan-loader.js');
    const plan = (await loadPlans(undefined, ['crawl-progress'])).get('crawl-progress')!;
    const good = '{"type":"crawl_progress","data":{"status":"crawling","percentage":5}}';
    expect(frameToEvent(plan, good).ok).toBe(true);
    // An extra key is no match, even one every object inherits.
    expect(frameToEvent(plan, good.replace('{"type"', '{"constructor":1,"type"')).ok).toBe(false);
    const decoded = frameToEvent(plan, '{"type":"crawl_progress","data":{"status":"x","__proto__":{"polluted":true}}}');
    if (!decoded.ok) throw decoded.error;
    for (const { payload } of decoded.events) {
      expect(Object.getPrototypeOf(payload)).toBe(Object.prototype);
      expect((payload as { polluted?: unknown }).polluted).toBeUndefined();
    }
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});
