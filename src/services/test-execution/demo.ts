import type { TestExecutionDomain } from './domain.js';
import type { TestType } from './events.js';

const PYTEST = (failing: boolean): string[] => [
  '============================= test session starts ==============================',
  'collecting ... collected 6 items',
  '',
  'tests/test_api_essentials.py::test_health_endpoint PASSED',
  'tests/test_api_essentials.py::test_knowledge_items_list PASSED',
  'tests/test_service_integration.py::test_crawl_then_search PASSED',
  `tests/test_service_integration.py::test_mcp_tool_roundtrip ${failing ? 'FAILED' : 'PASSED'}`,
  'tests/test_business_logic.py::test_task_ordering PASSED',
  'tests/test_business_logic.py::test_project_features PASSED',
  failing
    ? '========================= 1 failed, 5 passed in 2.41s =========================='
    : '============================== 6 passed in 2.37s ===============================',
];

const VITEST = (): string[] => [
  'Running React UI tests...',
  '✓ test/components.test.tsx (10 tests) 77ms',
  '✓ test/errors.test.tsx (5 tests) 45ms',
  '✓ test/pages.test.tsx (5 tests) 15ms',
  'Test Files  3 passed (3)',
  '     Tests  20 passed (20)',
];

/**
 * Demo producer: a simulated pytest run every `everyMs` (every third one
 * fails), one output line every `lineMs`; runs queued through the legacy REST
 * API (`POST /api/tests/mcp/run`) are simulated too. A run cancelled meanwhile
 * (`DELETE /api/tests/execution/:id`) just stops.
 */
export function testExecutionDemo(domain: TestExecutionDomain, everyMs: number, lineMs: number): () => void {
  const running = new Set<() => void>();
  let runs = 0;

  function simulate(executionId: string, testType: TestType, failing: boolean): void {
    const lines = testType === 'ui' ? VITEST() : PYTEST(failing);
    // -1: not started yet. Starting one tick late lets a client that connects
    // right after `POST /api/tests/mcp/run` see "Test execution started".
    let index = -1;
    const timer = setInterval(() => {
      const status = domain.get(executionId)?.status;
      if (index < 0) {
        if (status !== 'pending') return stop();
        domain.start(executionId);
        index = 0;
        return;
      }
      if (status !== 'running') return stop();
      if (index < lines.length) {
        domain.appendOutput(executionId, [lines[index++]!]);
        return;
      }
      domain.complete(executionId, { exit_code: failing ? 1 : 0 });
      stop();
    }, lineMs);
    timer.unref();
    const stop = (): void => {
      clearInterval(timer);
      running.delete(stop);
    };
    running.add(stop);
  }

  const runOne = (): void => simulate(domain.create({ test_type: 'mcp' }).execution_id, 'mcp', ++runs % 3 === 0);
  runOne();
  const every = setInterval(runOne, everyMs);
  every.unref();
  const unsubscribe = domain.onQueued((executionId) => simulate(executionId, domain.get(executionId)?.test_type ?? 'mcp', false));
  return () => {
    clearInterval(every);
    unsubscribe();
    for (const stop of [...running]) stop();
  };
}
