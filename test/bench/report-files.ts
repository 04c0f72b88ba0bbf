import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes `<name>.json` and `<name>.md` in `dir` (the stand-alone benches' result files beside latest.*). */
export async function writeJsonAndMarkdown(dir: string, name: string, data: unknown, markdown: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${name}.json`), `${JSON.stringify(data, null, 2)}\n`);
  await writeFile(join(dir, `${name}.md`), markdown.endsWith('\n') ? markdown : `${markdown}\n`);
}
