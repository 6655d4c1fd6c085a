/** The device must send its hello within this long after the socket opens, or the gateway closes with CloseCode.HelloTimeout. */
export const HELLO_TIMEOUT_MS = 2000;
