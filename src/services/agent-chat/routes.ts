import type Router from '@koa/router';
import { z } from 'zod';
import { SwitchyardError } from '../../errors/catalogue.js';
import { parseInput } from '../validate.js';
import type { AgentChatDomain } from './domain.js';
import { embeddedStore, type EntityStore } from '../../domain/entity-store.js';
import { AGENT_TYPES } from './events.js';

const idField = z.string().min(1).max(200);
const createSchema = z.object({ project_id: idField.nullable().optional(), agent_type: z.enum(AGENT_TYPES).optional() });
const producerCreateSchema = createSchema.extend({ session_id: idField.optional() }).strict();
const userMessageSchema = z.object({
  message: z.string().min(1).max(32_000),
  project_id: idField.nullable().optional(),
  context: z.record(z.string(), z.unknown()).nullable().optional(),
  // Not in the legacy route: the SDK's idempotency id (a repeat is stored and broadcast once).
  id: idField.optional(),
});
const agentMessageSchema = z.strictObject({ content: z.string().min(1).max(32_000), agent_type: z.string().min(1).max(50).optional(), id: idField.optional() });
const typingSchema = z.strictObject({ is_typing: z.boolean() });

/** Legacy `create_chat_session` took `project_id` and `agent_type` as query parameters; the UI of legacy.md §3 sends a body. Accept both. */
function createInput(body: unknown, query: Record<string, string | string[] | undefined>): unknown {
  const fromQuery: Record<string, unknown> = {};
  for (const key of ['project_id', 'agent_type']) if (typeof query[key] === 'string') fromQuery[key] = query[key];
  return { ...fromQuery, ...(body !== null && typeof body === 'object' ? body : {}) };
}

/**
 * REST of agent-chat.
 *
 * The legacy application's own routes (legacy.md §3), same paths and bodies:
 * - `POST /api/agent-chat/sessions` `{project_id?, agent_type?: "docs"|"rag"}` → `{success, session_id, message}`
 * - `GET  /api/agent-chat/sessions/:id` → `{success, session: {session_id, project_id, messages, agent_type, created_at}}`
 * - `POST /api/agent-chat/sessions/:id/messages` `{message, context?, id?}` → `{success, message}` (stores and broadcasts the user message);
 *   with `id` (SDK only) the answer adds `id` and `duplicate`, and a repeated id is stored and broadcast once
 *
 * Producer API (what the agent backend calls):
 * - `POST /api/producer/agent-chat/sessions` `{session_id?, project_id?, agent_type?}` → 201 session
 * - `GET  /api/producer/agent-chat/sessions/:id` → session
 * - `POST /api/producer/agent-chat/sessions/:id/messages` `{content, agent_type?, id?}` → 201 `{id, duplicate, message}` (200 for a repeated id)
 * - `POST /api/producer/agent-chat/sessions/:id/typing` `{is_typing}` → `{ok: true}`
 */
export function chatRoutes(router: Router, domain: AgentChatDomain, store: EntityStore = embeddedStore): void {
  const legacy = '/api/agent-chat/sessions';
  router.post(legacy, async (ctx) => {
    const input = parseInput(createSchema, createInput(ctx.request.body, ctx.query), 'chat session');
    const session = await store.transact(() => domain.createSession(input));
    ctx.body = { success: true, session_id: session.session_id, message: 'Chat session created successfully' };
  });
  router.get(`${legacy}/:sessionId`, (ctx) => {
    ctx.body = { success: true, session: requireSession(domain, ctx.params.sessionId!) };
  });
  router.post(`${legacy}/:sessionId/messages`, async (ctx) => {
    const { message, context, id } = parseInput(userMessageSchema, ctx.request.body, 'chat message');
    const result = await store.transact(() => domain.postUserMessage(ctx.params.sessionId!, message, { id, context: context ?? undefined }));
    const answer = { success: true, message: 'Message sent successfully' };
    // Legacy frontends send no id and get the legacy answer, key for key.
    ctx.body = id === undefined ? answer : { ...answer, id: result.id, duplicate: result.duplicate };
  });

  const base = '/api/producer/agent-chat/sessions';
  router.post(base, async (ctx) => {
    const input = parseInput(producerCreateSchema, ctx.request.body ?? {}, 'chat session');
    ctx.body = await store.transact(() => domain.createSession(input));
    ctx.status = 201;
  });
  router.get(`${base}/:sessionId`, (ctx) => {
    ctx.body = requireSession(domain, ctx.params.sessionId!);
  });
  router.post(`${base}/:sessionId/messages`, async (ctx) => {
    const { content, agent_type, id } = parseInput(agentMessageSchema, ctx.request.body, 'agent message');
    const result = await store.transact(() => domain.postAgentMessage(ctx.params.sessionId!, content, { agent_type, id }));
    ctx.status = result.duplicate ? 200 : 201;
    ctx.body = result;
  });
  router.post(`${base}/:sessionId/typing`, async (ctx) => {
    const { is_typing } = parseInput(typingSchema, ctx.request.body, 'typing');
    await store.transact(() => domain.setTyping(ctx.params.sessionId!, is_typing));
    ctx.body = { ok: true };
  });
}

function requireSession(domain: AgentChatDomain, sessionId: string): unknown {
  const session = domain.get(sessionId);
  if (!session) throw new SwitchyardError('NOT_FOUND', `unknown chat session ${sessionId}`);
  return session;
}
