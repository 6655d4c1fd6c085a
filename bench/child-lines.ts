import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * A child process's JSON lines on stdout, taken by their `type` in any order; the last lines of
 * its stderr are kept to explain a child that dies.
 */
export class ChildLines {
  private readonly seen: Array<{ type: string } & Record<string, unknown>> = [];
  private waiters: Array<{ type: string; resolve: (m: Record<string, unknown>) => void }> = [];
  readonly stderr: string[] = [];
  /** Every line the child wrote to stderr (its log), not only the last ones kept. */
  stderrLines = 0;

  constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let message: { type: string } & Record<string, unknown>;
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        return;
      }
      const waiter = this.waiters.find((w) => w.type === message.type);
      if (waiter === undefined) this.seen.push(message);
      else {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(message);
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderrLines++;
      this.stderr.push(line);
      if (this.stderr.length > 20) this.stderr.shift();
    });
  }

  next(type: string, boundMs: number): Promise<Record<string, unknown>> {
    const index = this.seen.findIndex((m) => m.type === type);
    if (index >= 0) return Promise.resolve(this.seen.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`the gateway ${why} before '${type}':\n${this.stderr.join('\n')}`));
      };
      const onExit = (code: number | null) => fail(`exited with code ${code}`);
      const timer = setTimeout(() => fail(`said nothing for ${boundMs} ms`), boundMs);
      const done = (message: Record<string, unknown>) => {
        clearTimeout(timer);
        this.child.off('exit', onExit);
        resolve(message);
      };
      this.child.once('exit', onExit);
      this.waiters.push({ type, resolve: done });
    });
  }
}
