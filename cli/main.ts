#!/usr/bin/env node
import { DEVICE_HELP, deviceCommand } from './device-command.js';
import { DEVICES_HELP, devicesCommand } from './devices-command.js';
import { GATEWAY_HELP, gatewayCommand } from './gateway-command.js';
import { LEDS_HELP, ledsCommand } from './leds-command.js';
import { SIM_HELP, simCommand } from './sim-command.js';
import { isUsageError } from './usage-error.js';

const HELP = `pommai: an AI talking toy

  pommai sim [--say "text"]... [--hands-free] [--out reply.wav] [--json]
                     the gateway and a simulated toy in one command
  pommai gateway     the cloud gateway
  pommai device [--config /etc/pommai/device.json]
                     the toy's device process as a service (what systemd runs)
  pommai device --sim --url URL
                     the toy's device process with simulated hardware
  pommai devices add ID | list | lock ID | unlock ID | set ID
                     register the devices a gateway accepts; a parent's lock and volume
  pommai leds PATTERN
                     show a light pattern while the device process is stopped (updating)

  pommai COMMAND --help   details of one command`;

const commands: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  sim: { run: simCommand, help: SIM_HELP },
  gateway: { run: gatewayCommand, help: GATEWAY_HELP },
  device: { run: deviceCommand, help: DEVICE_HELP },
  devices: { run: devicesCommand, help: DEVICES_HELP },
  leds: { run: ledsCommand, help: LEDS_HELP },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${HELP}\n`);
    return name ? 0 : 2;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    process.stderr.write(`pommai: unknown command '${name}'\n\n${HELP}\n`);
    return 2;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`pommai: ${(error as Error).message ?? String(error)}\n`);
    process.exitCode = isUsageError(error) ? 2 : 1;
  },
);
