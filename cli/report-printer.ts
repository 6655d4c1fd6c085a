import type { DeviceReport } from '../device/device-report.js';

/** Prints what the device reports: one JSON object per line, or lines a person reads. */
export function reportPrinter(json: boolean, toyName: () => string, write: (line: string) => void = (l) => process.stdout.write(l)) {
  return (report: DeviceReport | { type: string; [key: string]: unknown }): void => {
    if (json) return write(`${JSON.stringify(report)}\n`);
    const r = report as DeviceReport;
    switch (r.type) {
      case 'transcript':
        return write(`  child: ${r.text === '' ? '(not understood)' : r.text}\n`);
      case 'reply':
        return write(`  ${toyName()}: ${r.text}\n`);
      case 'state':
        // The simulated LEDs already show the state to a person.
        return;
      case 'link':
        return write(r.up ? `  connected to the gateway\n` : `  gateway unreachable (${r.reason ?? 'closed'}); the toy is offline\n`);
      case 'error':
        return write(`  error ${r.code}: ${r.message}\n`);
      case 'turn': {
        const g = r.gateway;
        const parts = [
          r.voiceToVoiceMs === undefined ? undefined : `voice-to-voice ${r.voiceToVoiceMs} ms`,
          g['stt'] === undefined ? undefined : `stt ${g['stt']} ms`,
          g['firstAudio'] === undefined ? undefined : `first audio ${g['firstAudio']} ms`,
          kbps('up', r.uplink),
          kbps('down', r.downlink),
        ].filter(Boolean);
        return write(`  turn ${r.turn} ${r.end}${parts.length ? `: ${parts.join(', ')}` : ''}\n`);
      }
      default: {
        const extra = report as { type: string; [key: string]: unknown };
        if (extra.type === 'summary') {
          const out = extra['out'] ? `; the toy's voice is in ${String(extra['out'])}` : '';
          return write(`  ${extra['turns']} turns; ${extra['bytesSent']} bytes sent and ${extra['bytesReceived']} received on the socket; peak RSS ${extra['peakRssMb']} MB${out}\n`);
        }
        return write(`  ${JSON.stringify(report)}\n`);
      }
    }
  };
}

function kbps(direction: string, flow: { bytes: number; audioMs: number }): string | undefined {
  return flow.audioMs > 0 ? `${direction} ${((flow.bytes * 8) / flow.audioMs).toFixed(1)} kbps` : undefined;
}
