import type Router from '@koa/router';
import { z } from 'zod';
import { parseInput } from '../validate.js';
import type { McpLogsDomain } from './domain.js';
import { embeddedStore, type EntityStore } from '../../domain/entity-store.js';
import { MCP_LOG_LEVELS } from './events.js';

const entrySchema = z.strictObject({ level: z.enum(MCP_LOG_LEVELS), message: z.string().min(1).max(64 * 1024) });
const batchSchema = z.strictObject({ entries: z.array(entrySchema).min(1).max(1000) });
// FastAPI parsed `limit: int = 100`; a non-integer was a 422, here a 400.
const limitSchema = z.looseObject({ limit: z.coerce.number().int().default(100) });

/**
 * REST of mcp-logs.
 *
 * Producer API (what the MCP server's log reader calls):
 * - `POST /api/producer/mcp-logs` `{level, message}` → 201 the entry with its `seq`
 * - `POST /api/producer/mcp-logs/batch` `{entries: [{level, message}, …]}` (1–1000) → 201 `{entries}`
 *
 * Legacy routes kept (legacy.md §5; the UI fetched history here before streaming):
 * - `GET /api/mcp/logs?limit=100` → `{logs: [{timestamp, level, message}]}`, the last `limit` (≤ 0: all retained)
 * - `DELETE /api/mcp/logs` → `{success: true, message: "Logs cleared successfully"}`; logs "Logs cleared"
 */
export function mcpLogsRoutes(router: Router, domain: McpLogsDomain, store: EntityStore = embeddedStore): void {
  const base = '/api/producer/mcp-logs';
  router.post(base, async (ctx) => {
    const { level, message } = parseInput(entrySchema, ctx.request.body, 'mcp log');
    ctx.body = await store.transact(() => domain.add(level, message));
    ctx.status = 201;
  });
  router.post(`${base}/batch`, async (ctx) => {
    const { entries } = parseInput(batchSchema, ctx.request.body, 'mcp log batch');
    ctx.body = { entries: await store.transact(() => domain.addMany(entries)) };
    ctx.status = 201;
  });

  router.get('/api/mcp/logs', (ctx) => {
    const { limit } = parseInput(limitSchema, { ...ctx.query }, 'mcp logs query');
    ctx.body = { logs: domain.recent(limit) };
  });
  router.delete('/api/mcp/logs', async (ctx) => {
    await store.transact(() => domain.clear());
    ctx.body = { success: true, message: 'Logs cleared successfully' };
  });
}
