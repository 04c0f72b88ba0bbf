/**
 * Fuzz surface (d): REST bodies on every route — producer API, the legacy
 * REST routes, discovery, health/ready/metrics/console, the admin API (with
 * the token; never a valid stage change, which would move the canaries):
 * random JSON values, the routes' field names with wrong types, huge strings
 * within the 1 MiB body limit, bad JSON, wrong content types, odd ids.
 *
 * Property: every answer is a success or a documented 4xx with
 * `{error:{code,message}}` from the catalogue; never a 5xx, never silence.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_IDS } from '../../src/registry/contracts.js';
import { FUZZ_ADMIN_TOKEN, fuzzSession, httpAnswerProblem, runFuzz, startFuzzServer, type FuzzServer } from './harness.js';
import { defectTest, defectTitle } from './known-defects.js';
import { rawBody, rawExchange } from './raw-http.js';

const SEED = 0x5eed_0004;
const TOTAL = 10_000;
const ANSWER_MS = 10_000;
const BODY_LIMIT = 1024 * 1024;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
/** Every route, as registered in src/services/*\/routes.ts and src/server/*routes.ts; `:x` is a path parameter. */
const ROUTES: ReadonlyArray<[Method, string]> = [
  ['GET', '/health'], ['GET', '/ready'], ['GET', '/metrics'], ['GET', '/console'], ['GET', '/api/switchyard/discover'],
  ['POST', '/api/producer/crawl-progress'], ['GET', '/api/producer/crawl-progress/:id'], ['POST', '/api/producer/crawl-progress/:id/progress'],
  ['POST', '/api/producer/crawl-progress/:id/complete'], ['POST', '/api/producer/crawl-progress/:id/error'], ['POST', '/api/producer/crawl-progress/batch'],
  ['POST', '/api/agent-chat/sessions'], ['GET', '/api/agent-chat/sessions/:id'], ['POST', '/api/agent-chat/sessions/:id/messages'],
  ['POST', '/api/producer/agent-chat/sessions'], ['GET', '/api/producer/agent-chat/sessions/:id'],
  ['POST', '/api/producer/agent-chat/sessions/:id/messages'], ['POST', '/api/producer/agent-chat/sessions/:id/typing'],
  ['PUT', '/api/producer/knowledge-items'], ['POST', '/api/producer/knowledge-items/upload-completed'], ['POST', '/api/producer/knowledge-items/upload-error'],
  ['GET', '/api/producer/knowledge-items/:id'], ['PUT', '/api/producer/knowledge-items/:id'], ['DELETE', '/api/producer/knowledge-items/:id'], ['GET', '/api/knowledge-items'],
  ['POST', '/api/producer/mcp-logs'], ['POST', '/api/producer/mcp-logs/batch'], ['GET', '/api/mcp/logs'], ['DELETE', '/api/mcp/logs'],
  ['GET', '/api/producer/projects'], ['GET', '/api/producer/projects/:id'], ['POST', '/api/producer/projects'], ['PUT', '/api/producer/projects/:id'],
  ['DELETE', '/api/producer/projects/:id'], ['GET', '/api/projects'],
  ['POST', '/api/producer/project-creation'], ['GET', '/api/producer/project-creation/:id'], ['POST', '/api/producer/project-creation/:id/progress'],
  ['POST', '/api/producer/project-creation/:id/complete'], ['POST', '/api/producer/project-creation/:id/error'], ['POST', '/api/projects'],
  ['POST', '/api/tasks'], ['GET', '/api/tasks/:id'], ['PUT', '/api/tasks/:id'], ['DELETE', '/api/tasks/:id'], ['GET', '/api/projects/:id/tasks'],
  ['POST', '/api/producer/project-tasks/:id/tasks'], ['GET', '/api/producer/project-tasks/:id/tasks'], ['PUT', '/api/producer/project-tasks/:id/tasks/:id'],
  ['DELETE', '/api/producer/project-tasks/:id/tasks/:id'], ['POST', '/api/producer/project-tasks/:id/tasks_updated'],
  ['POST', '/api/tests/mcp/run'], ['POST', '/api/tests/ui/run'], ['GET', '/api/tests/status/:id'], ['GET', '/api/tests/history'], ['DELETE', '/api/tests/execution/:id'],
  ['POST', '/api/producer/test-execution/start'], ['GET', '/api/producer/test-execution/:id'], ['POST', '/api/producer/test-execution/:id/output'],
  ['POST', '/api/producer/test-execution/:id/error'], ['POST', '/api/producer/test-execution/:id/complete'],
  ['GET', '/api/admin/stages'], ['PUT', '/api/admin/stages/:nonservice'], ['DELETE', '/api/admin/stages/:nonservice'], ['POST', '/api/admin/flags/refresh'],
  ['GET', '/api/admin/audit'], ['GET', '/api/admin/shadow'], ['GET', '/api/admin/shadow/:id'],
];

const FIELDS = [
  'progressId', 'currentUrl', 'status', 'percentage', 'log', 'logs', 'chunksStored', 'wordCount', 'error', 'session_id', 'agent_type', 'content',
  'is_typing', 'message', 'context', 'title', 'description', 'tasks', 'id', 'task_id', 'project_id', 'level', 'entries', 'lines', 'exit_code',
  'execution_id', 'updates', 'filename', 'sourceId', 'sources', 'source_id', 'total_words', 'stage', 'step', 'since', 'limit', 'hard', 'metadata', 'features',
];
const ID = fc.oneof(
  { weight: 4, arbitrary: fc.uuid() },
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9._~-]{1,30}$/) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }).map(encodeURIComponent) },
  { weight: 1, arbitrary: fc.constantFrom('%41', '%2F', '%00', '..', '%2e%2e', 'constructor', '__proto__', 'toString', 'a'.repeat(2000)) },
);
const wrongValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(null, -1, 1e308, -0, '', [], {}, true, '0', 'NaN'), fc.string({ maxLength: 50 }));
const body = fc.oneof(
  { weight: 5, arbitrary: fc.dictionary(fc.constantFrom(...FIELDS), wrongValue, { maxKeys: 6 }).map((o) => JSON.stringify(o)) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: fc.oneof(fc.string({ maxLength: 80 }), fc.json().map((j) => j.slice(0, Math.max(0, j.length - 1))), fc.constantFrom('{', '[', '{"a":', 'nul', '{"a":1}}', '\u0000', '\uFEFF{}')) },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...FIELDS), fc.integer({ min: 10_000, max: BODY_LIMIT - 64 })).map(([field, n]) => JSON.stringify({ [field]: 'x'.repeat(n) })) },
);
const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant<string | undefined>('application/json') },
  { weight: 1, arbitrary: fc.constantFrom<string | undefined>(undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/vnd.api+json', 'application/*', '', 'json') },
);
const query = fc.oneof(fc.constant(''), fc.array(fc.tuple(fc.constantFrom('service', 'clientId', 'limit', 'hard', 'since', 'x'), fc.oneof(ID, fc.constantFrom(...SERVICE_IDS))), { maxLength: 3 }).map((p) => `?${p.map(([k, v]) => `${k}=${v}`).join('&')}`));
const requestFields = { route: fc.constantFrom(...ROUTES), ids: fc.array(ID, { minLength: 2, maxLength: 2 }), nonService: fc.string({ maxLength: 20 }), query, body };
const request = fc.record({ ...requestFields, contentType });
type Request = typeof request extends fc.Arbitrary<infer T> ? T : never;

function targetOf(r: Request): string {
  let n = 0;
  const path = r.route[1]
    .replace(/:nonservice/g, () => `not-a-service-${encodeURIComponent(r.nonService)}`)
    .replace(/:id/g, () => r.ids[n++]!);
  return `${path}${r.query}`;
}

function encode(method: string, target: string, contentTypeValue: string | undefined, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', `Authorization: Bearer ${FUZZ_ADMIN_TOKEN}`];
  if (contentTypeValue !== undefined) lines.push(`Content-Type: ${contentTypeValue}`);
  lines.push(`Content-Length: ${payload.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), payload]);
}

async function call(server: FuzzServer, method: string, r: Request): Promise<{ status?: number; body: string; problem?: string }> {
  const withBody = method !== 'GET';
  const answer = await rawExchange(server.port, encode(method, targetOf(r), withBody ? r.contentType : undefined, withBody ? r.body : ''), { timeoutMs: ANSWER_MS });
  if (answer.timedOut) return { body: '', problem: `no answer within ${ANSWER_MS} ms (wedged)` };
  if (answer.status === undefined) return { body: '', problem: 'connection closed without an answer' };
  const text = rawBody(answer);
  return { status: answer.status, body: text, problem: httpAnswerProblem(answer.status, text) };
}

const show = (r: Request): string => `${r.route[0]} ${targetOf(r).slice(0, 200)} [${r.contentType ?? 'no content-type'}] ${r.body.length > 200 ? `${r.body.slice(0, 100)}…(${r.body.length} chars)` : r.body}`;

describe('fuzz: REST bodies on every route', () => {
  let session: Awaited<ReturnType<typeof fuzzSession>>;
  beforeAll(async () => {
    session = await fuzzSession();
  });
  afterAll(async () => {
    await session?.close();
  });

  it(`${TOTAL} requests over ${ROUTES.length} routes: a success or a catalogued 4xx JSON error, never a 5xx; the server stays healthy`, async () => {
    const result = await runFuzz({
      name: 'REST', server: session.server, seed: SEED, total: TOTAL, batchSize: 1000, concurrency: 16, deadlineMs: 100_000,
      arbitrary: request,
      execute: async (r) => (await call(session.server, r.route[0], r)).problem,
      afterBatch: session.check,
      show,
    });
    expect(result.count).toBe(TOTAL);
  }, 150_000);

  defectTest('rest-405-not-json')(defectTitle('rest-405-not-json'), async () => {
    const server = await startFuzzServer();
    try {
      await runFuzz({
        name: 'REST wrong method', server, seed: SEED, total: 200, batchSize: 100, concurrency: 8, deadlineMs: 30_000,
        // Plain ids and an empty JSON object: nothing else in the request is wrong, so 405 is the one right answer.
        arbitrary: fc.tuple(fc.record({ ...requestFields, ids: fc.array(fc.uuid(), { minLength: 2, maxLength: 2 }), query: fc.constant(''), body: fc.constant('{}'), contentType: fc.constant('application/json') }), fc.constantFrom<Method>('GET', 'POST', 'PUT', 'DELETE'))
          .filter(([r, m]) => !ROUTES.some(([rm, rp]) => rm === m && shadows(rp, r.route[1]))),
        execute: async ([r, method]) => {
          const res = await call(server, method, r);
          if (res.problem) return res.problem;
          return res.status === 405 ? undefined : `answered ${res.status}, not 405 METHOD_NOT_ALLOWED`;
        },
        show: ([r, method]) => `${method} instead of ${show(r)}`,
      });
    } finally {
      await server.close();
    }
  }, 60_000);

  defectTest('rest-non-json-body-accepted')(defectTitle('rest-non-json-body-accepted'), async () => {
    const server = await startFuzzServer();
    try {
      await runFuzz({
        name: 'REST non-JSON body', server, seed: SEED, total: 200, batchSize: 100, concurrency: 8, deadlineMs: 30_000,
        arbitrary: fc.record({ ...requestFields, contentType: fc.constantFrom<string | undefined>('text/plain', 'application/x-www-form-urlencoded', 'text/html', 'application/octet-stream') })
          .filter((r) => r.route[0] !== 'GET' && r.body.length > 0 && !r.route[1].startsWith('/api/admin')),
        execute: async (r) => {
          const res = await call(server, r.route[0], r);
          if (res.problem) return res.problem;
          // Refused (415, or the route's own 4xx) is right; accepted as if it were an empty JSON body is the defect.
          return res.status !== undefined && res.status >= 300 ? undefined : `answered ${res.status}: a non-JSON body was accepted (want 415 UNSUPPORTED_MEDIA_TYPE)`;
        },
        show,
      });
    } finally {
      await server.close();
    }
  }, 60_000);
});

/**
 * Whether a route template of another method also serves `path`'s requests:
 * `GET /x/:id` answers `GET /x/start` (as a lookup of the id "start", 404),
 * so a wrong method on `POST /x/start` is not a 405 there.
 */
function shadows(template: string, path: string): boolean {
  const a = template.split('/');
  const b = path.split('/');
  return a.length === b.length && a.every((part, i) => part.startsWith(':') || part === b[i]);
}
