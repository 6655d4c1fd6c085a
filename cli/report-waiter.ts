import type { DeviceReport } from '../device/device-report.js';

/** Lets a script wait for what the device reports, with a bound, instead of sleeping. */
export class ReportWaiter {
  private waiters = new Set<{ match: (r: DeviceReport) => boolean; resolve: (r: DeviceReport) => void; timer: NodeJS.Timeout }>();

  readonly observe = (report: DeviceReport): void => {
    for (const waiter of this.waiters) {
      if (waiter.match(report)) {
        this.waiters.delete(waiter);
        waiter.resolve(report);
      }
    }
  };

  /** Forgets every wait (the run is over): their timers must not keep the process alive. */
  abandon(): void {
    for (const waiter of this.waiters) clearTimeout(waiter.timer);
    this.waiters.clear();
  }

  next<R extends DeviceReport>(match: (r: DeviceReport) => r is R, timeoutMs: number, what: string): Promise<R>;
  next(match: (r: DeviceReport) => boolean, timeoutMs: number, what: string): Promise<DeviceReport>;
  next(match: (r: DeviceReport) => boolean, timeoutMs: number, what: string): Promise<DeviceReport> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(Object.assign(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`), { code: 'timeout' }));
      }, timeoutMs);
      const waiter = {
        match,
        timer,
        resolve: (r: DeviceReport) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      this.waiters.add(waiter);
    });
  }
}
