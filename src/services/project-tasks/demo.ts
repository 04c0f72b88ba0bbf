import type { ProjectTasksDomain } from './domain.js';
import type { TaskStatus } from './events.js';

/** The project the demo works on, so a demo client can connect to a known URL. */
export const DEMO_PROJECT_ID = '00000000-0000-4000-8000-0000000074a5';

const TITLES = ['Design the login form', 'Implement the login endpoint', 'Write integration tests', 'Document the auth flow'];
const ASSIGNEES = ['User', 'Archon', 'AI IDE Agent'];
const NEXT: Record<TaskStatus, TaskStatus | undefined> = { todo: 'doing', doing: 'review', review: 'done', done: undefined };

/**
 * Demo producer: the tasks of `DEMO_PROJECT_ID` move todo → doing → review →
 * done, one step per tick. The step into review arrives as a `tasks_updated`
 * batch (as the legacy change detector reported MCP edits); the others as
 * `task_updated`. When all are done they are archived (and the round before
 * deleted) and a new set starts.
 */
export function tasksDemo(domain: ProjectTasksDomain, everyMs = 1500): () => void {
  const seed = (): void => {
    TITLES.forEach((title, i) => domain.create(DEMO_PROJECT_ID, { title, task_order: i, assignee: ASSIGNEES[i % ASSIGNEES.length]! }));
  };
  if (domain.list(DEMO_PROJECT_ID).length === 0) seed();
  const timer = setInterval(() => {
    const tasks = domain.list(DEMO_PROJECT_ID);
    const moving = tasks.find((task) => task.status !== 'done');
    if (!moving) {
      // The previous round's archived rows go for good, so a long demo stays within the task bound.
      for (const task of domain.list(DEMO_PROJECT_ID, { includeArchived: true })) if (task.archived) domain.delete(task.id);
      for (const task of tasks) domain.archive(task.id, 'demo');
      seed();
      return;
    }
    const status = NEXT[moving.status]!;
    if (status === 'review') domain.updateMany(DEMO_PROJECT_ID, [{ id: moving.id, status }]);
    else domain.update(moving.id, { status });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
