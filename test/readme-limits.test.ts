import { readFileSync } from 'node:fs';
import t from 'tap';
import { DEFAULT_GATEWAY_CONFIG } from '../cloud/session/gateway-config.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

t.test("every gateway limit the README quotes as (`key`, value) is the gateway's default", async (t) => {
  const quoted = [...README.matchAll(/\(`(\w+)`, ([\d,]+)\)/g)].map(([, key, value]) => ({ key: key as string, value: Number((value as string).replaceAll(',', '')) }));
  t.ok(quoted.length >= 10, `${quoted.length} limits quoted`);
  for (const { key, value } of quoted) {
    t.ok(Object.hasOwn(DEFAULT_GATEWAY_CONFIG, key), `${key} is a gateway setting`);
    t.equal(value, (DEFAULT_GATEWAY_CONFIG as unknown as Record<string, unknown>)[key], `${key} is ${value} in the README and in gateway-config.ts`);
  }
});
