/**
 * Server-side events are typed: a domain publishes through its service's
 * publisher, so a misspelt event, a payload of another event, or a room
 * function called with the wrong parameters does not compile.
 */
import { describe, expectTypeOf, it } from 'vitest';
import type { RoomEvent } from '../../../src/domain/event-log.js';
import { publisherFor } from '../../../src/domain/publisher.js';
import type { RoomHub } from '../../../src/domain/room-hub.js';
import { crawlProgress } from '../../../src/services/crawl-progress/contract.js';
import { knowledgeItems } from '../../../src/services/knowledge-items/contract.js';
import { projectTasks } from '../../../src/services/project-tasks/contract.js';
import { echo } from '../../fixtures/services/echo/contract.js';

declare const hub: RoomHub;

describe('typed publisher', () => {
  it('accepts the events of the service map with their payloads (without seq)', () => {
    const knowledge = publisherFor(hub, knowledgeItems);
    expectTypeOf(knowledge.publish(knowledgeItems.room({}), 'upload_error', { filename: 'a.pdf', progressId: 'p', error: 'bad', success: false })).toEqualTypeOf<RoomEvent>();
    expectTypeOf(knowledge.publish).parameter(1).toEqualTypeOf<'knowledge_items_update' | 'crawl_completed' | 'upload_completed' | 'upload_error'>();
  });

  it('rejects a misspelt event name', () => {
    const crawl = publisherFor(hub, crawlProgress);
    // @ts-expect-error: the crawl map has `progress_update`, not `progress_updated`
    crawl.publish(crawlProgress.room({ progress_id: 'p1' }), 'progress_updated', { status: 'crawling', percentage: 1, logs: [], progressId: 'p1' });
  });

  it('types a service defined outside the registry the same way', () => {
    const echoes = publisherFor(hub, echo);
    expectTypeOf(echoes.publish).parameter(1).toEqualTypeOf<'echo_state' | 'echo_message'>();
    // @ts-expect-error: echo's map has `echo_message`, not `echo_messages`
    echoes.publish(echo.room({ channel_id: 'c' }), 'echo_messages', { channel_id: 'c', text: 't', n: 1 });
  });

  it("rejects another service's event on this service's publisher", () => {
    const tasks = publisherFor(hub, projectTasks);
    // @ts-expect-error: crawl_completed belongs to knowledge-items
    tasks.publish('tasks_p', 'crawl_completed', { url: 'u', success: true, message: 'm', progressId: 'p' });
  });

  it('rejects a payload of the wrong shape', () => {
    const knowledge = publisherFor(hub, knowledgeItems);
    // @ts-expect-error: upload_error needs `error`, and `filename` is a string
    knowledge.publish('knowledge', 'upload_error', { filename: 3, progressId: 'p' });
  });

  it('rejects a room function called with the wrong parameters', () => {
    // @ts-expect-error: the crawl room is keyed by progress_id
    crawlProgress.room({ session_id: 's' });
  });
});
