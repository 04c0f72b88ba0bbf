import { WebSocket } from 'ws';
import { describe, expectTypeOf, it } from 'vitest';
import { connect, type ClientState, type SentMessage } from '../../../src/client/index.js';
import type { CrawlProgressState } from '../../../src/services/crawl-progress/events.js';

describe('typed client API', () => {
  it('types events per service from events.ts', () => {
    const crawl = connect({ url: 'http://h', service: 'crawl-progress', params: { progress_id: 'p' }, WebSocketImpl: WebSocket });
    crawl.on('progress_update', (payload) => {
      expectTypeOf(payload).toEqualTypeOf<CrawlProgressState & { seq: number }>();
    });
    crawl.on('state', (state) => expectTypeOf(state).toEqualTypeOf<ClientState>());
    // @ts-expect-error not an event of crawl-progress
    crawl.on('new_message', () => {});
    // @ts-expect-error wrong listener payload
    crawl.on('progress_update', (payload: { seq: string }) => payload);
    // @ts-expect-error sendMessage is agent-chat only
    void crawl.sendMessage('hi');
    crawl.close();
  });

  it('types join params and chat sends', () => {
    // @ts-expect-error progress_id is required
    connect({ url: 'http://h', service: 'crawl-progress', params: {} });
    const chat = connect({ url: 'http://h', service: 'agent-chat', params: { session_id: 's' }, transports: ['socketio'] });
    expectTypeOf(chat.sendMessage('hi')).toEqualTypeOf<Promise<SentMessage>>();
    chat.on('new_message', (payload) => expectTypeOf(payload.message.id).toEqualTypeOf<string>());
    chat.close();
  });
});
