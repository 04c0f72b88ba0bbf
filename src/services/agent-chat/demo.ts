import type { AgentChatDomain } from './domain.js';

/** The session the demo keeps alive, so a demo client can connect without creating one first. */
export const DEMO_SESSION_ID = '00000000-0000-4000-8000-00000000c4a7';

const CHATTER = [
  'Tip: ask me to draft a PRD, and I will outline goals, scope and architecture.',
  'I can review a document and list what is missing.',
  'Reminder: every message here also reaches the legacy WebSocket clients of this session.',
];

/** Demo timings (ms). */
export interface ChatDemoOptions {
  /** From the user message to the agent's reply. Default 800. */
  replyDelayMs?: number;
  /** Between unprompted agent messages in the demo session. Default 7000. */
  chatterEveryMs?: number;
}

/**
 * Demo producer: a simulated agent that answers every user message the way the
 * legacy server did (typing true, typing false, reply), and now and then
 * chats unprompted in `DEMO_SESSION_ID`.
 */
export function chatDemo(domain: AgentChatDomain, options: ChatDemoOptions = {}): () => void {
  const replyDelayMs = options.replyDelayMs ?? 800;
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, work: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      try {
        work();
      } catch {
        // The session was forgotten meanwhile (bounded session count): nothing to answer.
      }
    }, ms);
    timer.unref();
    timers.add(timer);
  };
  const reply = (sessionId: string, content: string): void => {
    domain.setTyping(sessionId, true);
    later(replyDelayMs, () => {
      domain.setTyping(sessionId, false);
      domain.postAgentMessage(sessionId, content);
    });
  };

  if (!domain.has(DEMO_SESSION_ID)) domain.createSession({ session_id: DEMO_SESSION_ID, agent_type: 'docs' });
  const unsubscribe = domain.onUserMessage((event) => {
    // Answer after the user's echo has gone out, as the legacy server did.
    later(0, () => reply(event.session_id, `(demo ${event.agent_type} agent) You said: "${event.message.content}". How can I help further?`));
  });
  let next = 0;
  const chatter = setInterval(() => {
    if (!domain.has(DEMO_SESSION_ID)) return;
    reply(DEMO_SESSION_ID, CHATTER[next++ % CHATTER.length]!);
  }, options.chatterEveryMs ?? 7000);
  chatter.unref();

  return () => {
    clearInterval(chatter);
    unsubscribe();
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  };
}
