import type { McpLogsDomain } from './domain.js';
import type { McpLogLevel } from './events.js';

/** Lines in the shape the MCP container printed (`[LEVEL] message` was parsed into these). */
const SCRIPT: ReadonlyArray<readonly [McpLogLevel, string]> = [
  ['INFO', 'MCP server started successfully'],
  ['INFO', 'Uvicorn running on http://0.0.0.0:8051 (Press CTRL+C to quit)'],
  ['DEBUG', 'SSE session 3f2a9c opened from 172.18.0.1'],
  ['INFO', 'Tool call: perform_rag_query(query="socket.io rooms", match_count=5)'],
  ['INFO', 'perform_rag_query returned 5 results in 412ms'],
  ['INFO', 'Tool call: get_available_sources()'],
  ['WARNING', 'Slow tool response: search_code_examples took 4.2s'],
  ['DEBUG', 'Embedding cache hit ratio 0.83'],
  ['ERROR', 'Tool crawl_single_page failed: Timeout 30000ms exceeded'],
  ['INFO', 'SSE session 3f2a9c closed'],
];

/** Demo producer: one MCP-server-like log line every `everyMs`, cycling through a short script. */
export function mcpLogsDemo(domain: McpLogsDomain, everyMs: number): () => void {
  let index = 0;
  const timer = setInterval(() => {
    const [level, message] = SCRIPT[index % SCRIPT.length]!;
    domain.add(level, message);
    index++;
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
