import { loadDeviceConfigFile } from '../device/device-config-file.js';
import { startDevice } from '../device/device-main.js';
import { TURN_STATES, type DeviceState } from '../device/device-state-machine.js';
import type { DeviceObserver } from '../device/device-report.js';
import type { Log } from '../log/log.js';
import { MemoryWatch } from '../device/memory-watch.js';
import { createHardware, type Hardware } from '../hardware/hardware-factory.js';

export interface DeviceServiceOptions {
  /** The JSON config file, e.g. /etc/pommai/device.json. */
  readonly configPath: string;
  /** Where the secret's variable (DEVICE_SECRET_VARIABLE) may come from; read here, at the top, and nowhere deeper. */
  readonly env: NodeJS.ProcessEnv;
  /** JSON lines on stderr: under systemd that is the journal. */
  readonly log: Log;
}

const MB = 1024 * 1024;

/**
 * The toy as a service: config file in, real (or configured) drivers, the
 * device running until `stop` aborts (SIGTERM from systemd). There is no
 * terminal, so everything it has to say is a log line.
 *
 * Exit codes: 0 after a requested stop; 1 when it cannot start (bad config,
 * missing hardware: one line says what) or when memory went critical and it
 * stopped between turns to be restarted fresh. systemd restarts it either way.
 *
 * A refused secret does not end the process: a toy in a closet has nobody to
 * read an exit, and the fix (re-registering it on the gateway) happens
 * elsewhere. The CloudLink keeps retrying at its longest backoff and each
 * refusal is logged as 'unauthorized', so the toy comes back by itself once
 * the gateway accepts it again.
 */
export async function runDeviceService(options: DeviceServiceOptions, stop: AbortSignal): Promise<number> {
  const { log } = options;
  let loaded: Awaited<ReturnType<typeof loadDeviceConfigFile>>;
  let hardware: Hardware;
  try {
    loaded = await loadDeviceConfigFile(options.configPath, options.env);
    hardware = await createHardware(loaded.hardware);
  } catch (error) {
    cannotStart(log, error);
    return 1;
  }
  const { device, memoryBudgetMb } = loaded;
  const { button, leds, microphone, speaker } = loaded.hardware;
  log('info', 'device starting', {
    config: options.configPath,
    gatewayUrl: device.gatewayUrl,
    deviceId: device.deviceId,
    firmware: device.firmware,
    hardware: { button, leds, microphone, speaker },
    memoryBudgetMb,
  });
  for (const warning of loaded.warnings) log('warn', warning);

  let restartBetweenTurns = false;
  let finish: (why: 'stopped' | 'memory') => void = () => {};
  const finished = new Promise<'stopped' | 'memory'>((resolve) => (finish = resolve));
  // Idle, offline, locked or showing an error: anything but a turn the child would hear cut off.
  const betweenTurns = (state: DeviceState) => !TURN_STATES.has(state);
  const logReport = reportLogger(log);
  const runner = startDevice(device, hardware, log, (report) => {
    logReport(report);
    if (restartBetweenTurns && report.type === 'state' && betweenTurns(report.state)) finish('memory');
  });
  const watch = new MemoryWatch({
    budgetBytes: memoryBudgetMb * MB,
    log,
    // Ending mid-sentence would be worse for the child than running a little over budget for one turn.
    onCritical: () => {
      restartBetweenTurns = true;
      if (betweenTurns(runner.state)) finish('memory');
    },
  });
  watch.start();
  if (stop.aborted) finish('stopped');
  else stop.addEventListener('abort', () => finish('stopped'), { once: true });

  const why = await finished;
  log('info', why === 'memory' ? 'device restarting: memory critical' : 'device stopping');
  watch.stop();
  await runner.stop();
  try {
    await hardware.close();
  } catch (error) {
    log('warn', 'closing the hardware failed', { error: firstLine(error) });
  }
  log('info', 'device stopped');
  return why === 'memory' ? 1 : 0;
}

/** One line that says what is missing; a stack trace would bury it, so that goes to debug. */
function cannotStart(log: Log, error: unknown): void {
  const { code, retryable } = error as { code?: unknown; retryable?: unknown };
  log('error', `cannot start: ${firstLine(error)}`, { ...(typeof code === 'string' ? { code } : {}), ...(typeof retryable === 'boolean' ? { retryable } : {}) });
  log('debug', 'start-up failure in detail', { stack: (error as Error)?.stack });
}

/** Node's "Cannot find module" messages go on with a require stack: the first line is the news. */
function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0] ?? '';
}

/**
 * Every report as one log line. What the child said and what the toy replied
 * stay at debug: a child's words do not belong in a device's journal (the
 * parent sees them on the gateway, which keeps them on purpose).
 */
function reportLogger(log: Log): DeviceObserver {
  return (report) => {
    switch (report.type) {
      case 'state':
        return log('info', 'state', { state: report.state, previous: report.previous });
      case 'link':
        return report.up ? log('info', 'link up', { sessionId: report.sessionId }) : log('warn', 'link down', { reason: report.reason });
      case 'transcript':
        return log('debug', 'transcript', { turn: report.turn, text: report.text });
      case 'reply':
        return log('debug', 'reply', { turn: report.turn, index: report.index, text: report.text });
      case 'error':
        return log(report.retryable ? 'warn' : 'error', 'device error', {
          code: report.code,
          error: report.message,
          retryable: report.retryable,
          ...(report.turn === undefined ? {} : { turn: report.turn }),
        });
      case 'turn': {
        const { type: _type, ...fields } = report;
        const ordinary = report.end === 'played' || report.end === 'no_audio' || report.end === 'barged_in' || report.end === 'nothing_said';
        return log(ordinary ? 'info' : 'warn', 'turn', fields);
      }
    }
  };
}
