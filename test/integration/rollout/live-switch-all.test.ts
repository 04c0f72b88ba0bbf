/**
 * For every service (the registry's and those defined under test/): clients on both transports stay connected while the
 * stage goes legacy → shadow → socketio → legacy → retired → legacy. Legacy
 * clients receive every event exactly once, in order, with no reconnect;
 * Socket.IO clients receive everything while the service is cut over, then a
 * notice; every refusal carries its documented code.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Stage } from '../../../src/flags/stage.js';
import { pickMarkers, type ServiceDriver } from '../../support/drivers.js';
import { HOSTED_DRIVERS, hostOnly } from '../../support/hosted.js';
import { ADMIN_TOKEN, adminHeaders, overridableFlags } from '../../support/flags.js';
import { api, nextEvent, startServer, until, type TestServer } from '../../support/harness.js';
import type { LegacyClient } from '../../support/legacy-client.js';

/** Markers this legacy client has received, in order. */
function legacyMarkers(driver: ServiceDriver, client: LegacyClient): string[] {
  return client.frames.flatMap((f) => pickMarkers(driver, JSON.parse(f) as Record<string, unknown>));
}

describe.each(HOSTED_DRIVERS)('$service across every stage', (driver) => {
  let server: TestServer;
  afterEach(async () => {
    await server.close();
  });

  it('loses, repeats and reorders nothing', async () => {
    server = await startServer({ ...hostOnly(driver.service), flags: overridableFlags('legacy'), adminToken: ADMIN_TOKEN });
    await driver.setup(server.url);
    const setStage = async (stage: Stage): Promise<void> => {
      expect((await api(server.url, 'PUT', `/api/admin/stages/${driver.service}`, { stage }, adminHeaders)).status).toBe(200);
    };
    const legacy = await server.legacy(driver.legacyPath);
    const sequenced = await server.legacy(`${driver.legacyPath}${driver.legacyPath.includes('?') ? '&' : '?'}switchyard_seq=1`);
    await expect(server.sio(driver.namespace)).rejects.toMatchObject({ data: { code: 'SERVICE_ON_LEGACY' } });

    let n = 0;
    const expected: string[] = [];
    const produce = async (): Promise<string> => {
      const marker = `m${++n}`;
      await driver.produce(server.url, marker);
      expected.push(marker);
      return marker;
    };

    await produce();
    await setStage('shadow');
    await produce();
    await setStage('socketio');
    const socket = await server.sio(driver.namespace);
    const seen: Array<{ marker: string; seq: number }> = [];
    socket.on(driver.event, (payload: Record<string, unknown>) => {
      for (const marker of pickMarkers(driver, payload)) seen.push({ marker, seq: payload.seq as number });
    });
    const ack = (await socket.emitWithAck(driver.join[0], driver.join[1])) as { ok: boolean; seq: number };
    expect(ack).toMatchObject({ ok: true });
    // The join's snapshot carries the head sequence; live events come after it.
    seen.splice(0, seen.length, ...seen.filter((s) => s.seq > ack.seq));
    const duringSocketIo = [await produce(), await produce()];
    await until(() => seen.length >= 2, 3000, 'Socket.IO events');
    expect(seen.map((s) => s.marker)).toEqual(duringSocketIo);
    expect(seen[1]!.seq).toBe(seen[0]!.seq + 1);

    const notice = nextEvent(socket, 'switchyard:stage');
    await setStage('legacy');
    expect(await notice).toMatchObject({ code: 'STAGE_CHANGED', stage: 'legacy', service: driver.service });
    await produce();
    await setStage('retired');
    await produce();
    const refused = await server.legacy(driver.legacyPath);
    expect((await refused.waitClose()).code).toBe(4410);
    await setStage('legacy');
    await produce();

    for (const client of [legacy, sequenced]) {
      await until(() => legacyMarkers(driver, client).length >= expected.length, 3000, `${driver.service} legacy frames`);
      expect(legacyMarkers(driver, client)).toEqual(expected);
      expect(client.closed).toBeUndefined();
    }
    const seqs = sequenced.frames.flatMap((f) => {
      const parsed = JSON.parse(f) as Record<string, unknown>;
      return pickMarkers(driver, parsed).length > 0 ? [parsed.seq as number] : [];
    });
    expect(seqs.every((seq, i) => i === 0 || seq > seqs[i - 1]!)).toBe(true);
    const shadow = await api(server.url, 'GET', `/api/admin/shadow/${driver.service}`, undefined, adminHeaders);
    expect(shadow.body).toMatchObject({ mismatches: 0 });
  });
});
