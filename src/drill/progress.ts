import cliProgress from 'cli-progress';

/** Where the drill tells the operator how far it is. */
export interface Progress {
  start(total: number): void;
  /** One step done, with a one-line summary. */
  step(summary: string): void;
  /** A message that is not a step (setup, restore). */
  note(message: string): void;
  stop(): void;
}

/** A progress bar on a terminal; one line per step otherwise (CI logs, pipes). */
export function createProgress(stream: NodeJS.WriteStream = process.stdout): Progress {
  if (!stream.isTTY) {
    let done = 0;
    let total = 0;
    return {
      start: (n) => (total = n),
      step: (summary) => stream.write(`[${++done}/${total}] ${summary}\n`),
      note: (message) => stream.write(`${message}\n`),
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar({
    format: 'drill [{bar}] {value}/{total} steps | {last}',
    stream, hideCursor: true, clearOnComplete: false,
  }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    start: (n) => {
      bar.start(n, 0, { last: 'starting' });
      started = true;
    },
    step: (summary) => bar.increment(1, { last: summary }),
    note: (message) => (started ? bar.update({ last: message }) : stream.write(`${message}\n`)),
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}
