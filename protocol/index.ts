export * from './version.js';
export * from './close-codes.js';
export * from './error-codes.js';
export * from './audio-params.js';
export * from './messages.js';
export * from './handshake.js';
export * from './parse-message.js';
export * from './audio-frame.js';
