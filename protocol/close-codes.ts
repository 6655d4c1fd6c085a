/** WebSocket close codes the gateway uses (4000-4999 is the range for applications). */
export const CloseCode = Object.freeze({
  /** The gateway is shutting down; reconnect with backoff. */
  GoingAway: 1001,
  /** The peer broke the contract in a way the session cannot survive (e.g. the first message was not hello). */
  ProtocolError: 4000,
  /** Unknown device or wrong secret. Reconnecting with the same secret will not help. */
  Unauthorized: 4001,
  /** The hello's protocol version is not one the gateway speaks. */
  VersionMismatch: 4002,
  /** No hello arrived in time after the socket opened. */
  HelloTimeout: 4003,
  /** The same device connected again; this older connection is closed. */
  Replaced: 4004,
  /** Nothing heard from the peer within the heartbeat timeout. */
  HeartbeatTimeout: 4005,
  /** The peer stopped reading: what it was sent piled up past the gateway's bound. */
  SlowReader: 4006,
  /** The peer sent frames faster than the gateway allows, for longer than a burst. */
  Flooding: 4007,
  /** Too many wrong hellos came from the peer's network address; its secret was not checked. */
  TooManyAttempts: 4008,
} as const);

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
