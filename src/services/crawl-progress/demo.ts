import type { CrawlProgressDomain } from './domain.js';

const STEPS = ['analyzing', 'crawling', 'processing', 'document_storage', 'code_storage', 'finalization'];

/** Demo producer: one simulated crawl after another, a step every second. */
export function crawlDemo(domain: CrawlProgressDomain, everyMs = 1000): () => void {
  let progressId = '';
  let step = 0;
  const timer = setInterval(() => {
    if (step === 0) {
      progressId = domain.start({ currentUrl: 'https://docs.example.com/' }).progressId;
    } else if (step <= STEPS.length) {
      const status = STEPS[step - 1]!;
      domain.update(progressId, { status, percentage: Math.round((step / (STEPS.length + 1)) * 100), log: `Demo crawl: ${status}` });
    } else {
      domain.complete(progressId, { chunksStored: 42, wordCount: 12_345 });
      step = -1;
    }
    step++;
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
