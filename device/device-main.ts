import { UPLINK_AUDIO } from '../protocol/index.js';
import type { DeviceConfig } from './device-config.js';
import type { DeviceObserver } from './device-report.js';
import { DeviceRunner, type DeviceHardware } from './device-runner.js';
import type { Log } from '../log/log.js';

/**
 * The device's composition root: the configuration and the chosen hardware
 * go in, a running device comes out.
 */
export function startDevice(config: DeviceConfig, hardware: DeviceHardware, log: Log, observe?: DeviceObserver): DeviceRunner {
  const runner = new DeviceRunner(hardware, {
    link: {
      url: config.gatewayUrl,
      hello: {
        deviceId: config.deviceId,
        secret: config.secret,
        firmware: config.firmware,
        audio: UPLINK_AUDIO,
        capabilities: ['push_to_talk', 'barge_in', 'hands_free'],
      },
      backoff: config.reconnect,
      connectTimeoutMs: config.connectTimeoutMs,
    },
    uplinkBitrate: config.uplinkBitrate,
    replyTimeoutMs: config.replyTimeoutMs,
    errorShowMs: config.errorShowMs,
    maxQueuedFrames: config.maxQueuedFrames,
    volumeCeiling: config.volumeCeiling,
    doublePressMs: config.doublePressMs,
    handsFree: config.handsFree,
    log,
    ...(observe ? { observe } : {}),
  });
  runner.start();
  return runner;
}
