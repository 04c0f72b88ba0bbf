/** A fenced code block of a markdown document, with the heading it is under. */
export interface CodeBlock {
  heading: string;
  lang: string;
  code: string;
  /** False when the block is preceded by an `<!-- not run … -->` comment. */
  run: boolean;
  /** 1-based line of the opening fence. */
  line: number;
}

const FENCE = /^```(\S*)\s*$/;
const NOT_RUN = /^<!--\s*not run\b.*-->\s*$/;

/** Every fenced block, in order. Headings are tracked outside fences only (shell comments start with `#` too). */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  let heading = '';
  let lastText = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
      blocks.push({ heading, lang: fence[1] ?? '', code: body.join('\n'), run: !NOT_RUN.test(lastText), line: start + 1 });
      lastText = '';
      continue;
    }
    if (/^#{1,6} /.test(line)) heading = line.replace(/^#+ /, '').trim();
    if (line.trim() !== '') lastText = line.trim();
  }
  return blocks;
}

/** The headings of a document, in order (outside fences), with '' for the text before the first. */
export function headings(markdown: string): string[] {
  const found = [''];
  let inFence = false;
  for (const line of markdown.split('\n')) {
    if (/^```/.test(line)) inFence = !inFence;
    else if (!inFence && /^#{1,6} /.test(line)) found.push(line.replace(/^#+ /, '').trim());
  }
  return found;
}

/**
 * The blocks of `base`, where every heading that `corrections` also has takes
 * the corrections' blocks instead, in `base`'s heading order (so a block
 * added under a heading that had none runs in its place); headings only in
 * `corrections` come last.
 */
export function withCorrections(base: string, corrections: string): CodeBlock[] {
  const baseBlocks = codeBlocks(base);
  const fixed = codeBlocks(corrections);
  const corrected = new Set(fixed.map((b) => b.heading));
  const order = headings(base);
  const out: CodeBlock[] = [];
  for (const heading of new Set(order)) out.push(...(corrected.has(heading) ? fixed : baseBlocks).filter((b) => b.heading === heading));
  out.push(...fixed.filter((b) => !order.includes(b.heading)));
  return out;
}
