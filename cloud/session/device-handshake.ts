import { CloseCode, ErrorCode, PROTOCOL_VERSION, UPLINK_AUDIO, type HelloMessage } from '../../protocol/index.js';
import { ProviderError } from '../providers/provider-error.js';
import type { ParentSettings, Store } from '../store/store.js';

/** A device that proved who it is, and what its parent has chosen for it. */
export interface Admitted {
  readonly ok: true;
  readonly deviceId: string;
  readonly capabilities: ReadonlySet<string>;
  readonly settings: ParentSettings;
}

/** A hello the gateway cannot go on with: the error the device is sent, and how the connection closes. */
export interface Refused {
  readonly ok: false;
  readonly error: { readonly code: string; readonly message: string; readonly retryable: boolean };
  /** Undefined: the session lives on (a second hello is answered, not fatal). */
  readonly close?: { readonly code: number; readonly reason: string };
  /** Why, for the gateway's log; never the secret. */
  readonly log?: { readonly level: 'warn' | 'error'; readonly message: string; readonly error?: string };
}

export type HandshakeResult = Admitted | Refused;

/** The allowance of wrong hellos of the address a hello came from (cloud/session/admission.ts). */
export interface HelloAttempts {
  mayCheckSecret(): boolean;
  failedHello(): void;
}

const UNLIMITED: HelloAttempts = { mayCheckSecret: () => true, failedHello: () => {} };

const refuse = (code: string, message: string, close?: Refused['close'], extra: Partial<Pick<Refused, 'log'>> & { retryable?: boolean } = {}): Refused => ({
  ok: false,
  error: { code, message, retryable: extra.retryable ?? false },
  ...(close ? { close } : {}),
  ...(extra.log ? { log: extra.log } : {}),
});

/**
 * The first thing a connection must do: say hello in the gateway's protocol
 * and audio format, with a device id and secret the store knows. Once per
 * connection; a second hello, even while the first is being checked, is an error.
 */
export class DeviceHandshake {
  private started = false;

  constructor(
    private readonly store: Pick<Store, 'verifyDevice' | 'deviceSettings'>,
    private readonly attempts: HelloAttempts = UNLIMITED,
  ) {}

  /** Whether a hello has been taken: the hello timer stops then, however long the secret check takes. */
  get greeted(): boolean {
    return this.started;
  }

  async hello(hello: HelloMessage): Promise<HandshakeResult> {
    if (this.started) return refuse(ErrorCode.DuplicateHello, 'this session has already said hello');
    if (hello.version !== PROTOCOL_VERSION) {
      return refuse(ErrorCode.VersionMismatch, `gateway speaks protocol ${PROTOCOL_VERSION}, device sent ${hello.version}`, { code: CloseCode.VersionMismatch, reason: 'protocol version mismatch' });
    }
    if (hello.audio.sampleRate !== UPLINK_AUDIO.sampleRate || hello.audio.frameMs !== UPLINK_AUDIO.frameMs) {
      return refuse(ErrorCode.InvalidMessage, `uplink audio must be opus ${UPLINK_AUDIO.sampleRate} Hz in ${UPLINK_AUDIO.frameMs} ms frames`, { code: CloseCode.ProtocolError, reason: 'unsupported audio parameters' });
    }
    this.started = true;
    // An address guessing secrets is not given more scrypt: its allowance is spent until it refills.
    if (!this.attempts.mayCheckSecret()) {
      return refuse(ErrorCode.TooManyAttempts, 'too many wrong hellos from this address: try again later', { code: CloseCode.TooManyAttempts, reason: 'too many attempts' }, { retryable: true });
    }
    let known: boolean;
    let settings: ParentSettings = {};
    try {
      known = await this.store.verifyDevice(hello.deviceId, hello.secret);
      if (known) settings = await this.store.deviceSettings(hello.deviceId);
    } catch (error) {
      // Turned away by the bound on secret checks: expected under a crowd of hellos, so no log line each.
      if (error instanceof ProviderError && error.code === 'busy') return refuse(ErrorCode.Busy, 'the gateway is busy checking other devices: try again', { code: CloseCode.GoingAway, reason: 'busy' }, { retryable: true });
      return refuse(ErrorCode.Busy, 'the gateway cannot check devices right now', { code: CloseCode.GoingAway, reason: 'store unavailable' }, {
        retryable: true,
        log: { level: 'error', message: 'cannot check the device or read its settings', error: (error as Error).message },
      });
    }
    if (!known) {
      this.attempts.failedHello();
      return refuse(ErrorCode.Unauthorized, 'unknown device or wrong secret', { code: CloseCode.Unauthorized, reason: 'unauthorized' }, { log: { level: 'warn', message: 'device refused' } });
    }
    return { ok: true, deviceId: hello.deviceId, capabilities: new Set(hello.capabilities), settings };
  }
}
