import t from 'tap';
import { ledsContract } from '../testing/leds-contract.js';
import { TerminalLeds } from './terminal-leds.js';
import type { LedOutput } from './terminal-leds.js';

class FakeOutput implements LedOutput {
  text = '';
  writableNeedDrain = false;
  constructor(readonly isTTY: boolean) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

// What shows is the last line written.
const onOutput = (output: FakeOutput) => ({ leds: new TerminalLeds({ output }), shown: () => output.text.split('\n').at(-2) });
ledsContract(t, 'TerminalLeds on a TTY', () => onOutput(new FakeOutput(true)));
ledsContract(t, 'TerminalLeds on a pipe', () => onOutput(new FakeOutput(false)));

t.test('a TTY gets a 24-bit coloured dot, the name and the animation', async (t) => {
  const output = new FakeOutput(true);
  const leds = new TerminalLeds({ output });
  leds.show({ name: 'listening', color: [0, 128, 255], animation: 'pulse' });
  t.match(output.text, '\x1b[38;2;0;128;255m●\x1b[0m listening');
  t.match(output.text, 'pulse');
  t.ok(output.text.endsWith('\n'));
  output.text = '';
  leds.show({ name: 'idle', color: [10, 10, 10], animation: 'off' });
  t.match(output.text, '○ idle', 'off is drawn as an empty dot');
});

t.test('colour values are clamped into 0..255', async (t) => {
  const output = new FakeOutput(true);
  new TerminalLeds({ output }).show({ name: 'x', color: [300, -4, 12.6], animation: 'solid' });
  t.match(output.text, '\x1b[38;2;255;0;13m');
});

t.test('anything else gets a plain line', async (t) => {
  const output = new FakeOutput(false);
  const leds = new TerminalLeds({ output });
  leds.show({ name: 'thinking', color: [255, 200, 0], animation: 'spin' });
  t.equal(output.text, '[leds] thinking\n');
});

t.test('lines are dropped, not queued, while the output is congested', async (t) => {
  const output = new FakeOutput(false);
  const leds = new TerminalLeds({ output });
  output.writableNeedDrain = true;
  leds.show({ name: 'lost', color: [1, 1, 1], animation: 'solid' });
  output.writableNeedDrain = false;
  leds.show({ name: 'kept', color: [1, 1, 1], animation: 'solid' });
  t.equal(output.text, '[leds] kept\n');
});

t.test('nothing is written after close', async (t) => {
  const output = new FakeOutput(false);
  const leds = new TerminalLeds({ output });
  await leds.close();
  leds.show({ name: 'late', color: [1, 1, 1], animation: 'solid' });
  t.equal(output.text, '');
});
