import type { KnowledgeItemsDomain } from './domain.js';

const SITES = ['docs.example.com', 'api.example.org', 'blog.example.net'];

/** Demo producer: every `everyMs` a source is added (the first rounds) or re-crawled (updated word count). */
export function knowledgeDemo(domain: KnowledgeItemsDomain, everyMs = 10_000): () => void {
  let tick = 0;
  const timer = setInterval(() => {
    const site = SITES[tick % SITES.length]!;
    tick++;
    domain.upsert({
      source_id: site,
      title: `Docs of ${site}`,
      url: `https://${site}/`,
      summary: `Demo source ${site}`,
      total_words: 1000 * tick,
      metadata: { knowledge_type: tick % 2 === 0 ? 'business' : 'technical', tags: ['demo'] },
    });
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
