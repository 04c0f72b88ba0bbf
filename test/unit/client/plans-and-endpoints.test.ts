import { describe, expect, it } from 'vitest';
import { planSchema } from '../../../src/adapter/plan-schema.js';
import { clientRoom, joinPayload, legacyUrl, namespaceUrl, discoveryUrl } from '../../../src/client/endpoints.js';
import { bundledPlan, rawBundledPlan, withPlanDefaults } from '../../../src/client/plans.js';
import { JOIN_EVENTS } from '../../../src/client/types.js';
import { SERVICE_IDS } from '../../../src/registry/contracts.js';

describe('bundled plans', () => {
  it.each(SERVICE_IDS)('%s: defaults filled exactly as planSchema.parse fills them', (service) => {
    const raw = rawBundledPlan(service);
    expect(withPlanDefaults(raw)).toEqual(planSchema.parse(raw));
  });

  it.each(SERVICE_IDS)('%s: the typed join event matches the plan', (service) => {
    expect(bundledPlan(service).socketio.join.event).toBe(JOIN_EVENTS[service]);
  });
});

describe('endpoints', () => {
  const crawl = bundledPlan('crawl-progress');
  const tasks = bundledPlan('project-tasks');

  it('legacy URL: path params encoded, plan query params kept, SDK opt-ins added, ws(s) scheme', () => {
    expect(legacyUrl('http://h:8080', crawl, crawl.legacy.path, { progress_id: 'a b/c' }, { clientId: 'me', since: 4 }))
      .toBe('ws://h:8080/api/crawl-progress/a%20b%2Fc?switchyard_seq=1&switchyard_notify=1&switchyard_since=4&client_id=me');
    expect(legacyUrl('https://h', tasks, tasks.legacy.path, { project_id: 'p', session_id: 's' }, { clientId: 'me', since: 0 }))
      .toBe('wss://h/api/projects/p/tasks/ws?session_id=s&switchyard_seq=1&switchyard_notify=1&switchyard_since=0&client_id=me');
  });

  it('legacy URL: a missing path parameter is a TypeError', () => {
    expect(() => legacyUrl('http://h', crawl, crawl.legacy.path, {}, { clientId: 'me', since: 0 })).toThrow(/progress_id/);
  });

  it('join payload from the plan template, with since when resuming', () => {
    expect(joinPayload(crawl, { progress_id: 'p' }, undefined)).toEqual({ progress_id: 'p' });
    expect(joinPayload(crawl, { progress_id: 'p' }, 7)).toEqual({ progress_id: 'p', since: 7 });
    expect(joinPayload(bundledPlan('mcp-logs'), {}, 3)).toEqual({ since: 3 });
  });

  it('room, namespace and discovery URLs', () => {
    expect(clientRoom(crawl, { progress_id: 'p' })).toBe('crawl_p');
    expect(clientRoom(bundledPlan('knowledge-items'), {})).toBe('knowledge');
    expect(() => clientRoom(crawl, {})).toThrow(/progress_id/);
    expect(namespaceUrl('http://h:1/app/', '/crawl')).toBe('http://h:1/crawl');
    expect(discoveryUrl('http://h:1', 'crawl-progress', 'c 1')).toBe('http://h:1/api/switchyard/discover?service=crawl-progress&clientId=c+1');
  });
});
