/** The seven services Switchyard migrates, in the order the migration plan ranks them. */
export const SERVICE_IDS = [
  'crawl-progress',
  'agent-chat',
  'project-tasks',
  'mcp-logs',
  'test-execution',
  'project-creation',
  'knowledge-items',
] as const;

export type ServiceId = (typeof SERVICE_IDS)[number];

export function isServiceId(value: unknown): value is ServiceId {
  return typeof value === 'string' && (SERVICE_IDS as readonly string[]).includes(value);
}
