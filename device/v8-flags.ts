/**
 * V8 flags of the device process in production, measured with
 * bench/device-memory: a 1 MB young generation and a 48 MB old-space limit keep
 * peak RSS near 69 MB over 1,000 turns where the defaults reach 77 MB (62 against 69 MB
 * for a single turn), at no cost in turn latency.
 * The systemd unit passes these; a test checks that they agree.
 */
export const DEVICE_V8_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=1', '--max-old-space-size=48']);

/**
 * The environment of the device process in production. glibc gives each thread
 * that allocates its own malloc arena, and the native modules' threads leave
 * each arena holding freed memory: two arenas took peak RSS from 71.4 MB to
 * 64.9 MB over 350 turns of bench/device-memory, at the same heap.
 */
export const DEVICE_ENV: Readonly<Record<string, string>> = Object.freeze({ MALLOC_ARENA_MAX: '2' });
