import type { CreationFlows } from './flow.js';

const TITLES = ['Acme Portal', 'Billing Revamp', 'Docs Search', 'Mobile Checkout', 'Partner API'];

/** Demo producer: one simulated project creation (the default legacy flow) every `everyMs`, a step every 2 s. */
export function projectCreationDemo(flows: CreationFlows, everyMs = 15_000): () => void {
  let count = 0;
  const create = (): void => {
    const title = `${TITLES[count % TITLES.length]!}${count >= TITLES.length ? ` ${Math.floor(count / TITLES.length) + 1}` : ''}`;
    count++;
    flows.start({ title, description: `Demo project ${count}`, github_repo: null }, {}, 2000);
  };
  create();
  const timer = setInterval(create, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
