/** The contract's version. A peer speaking another version is refused with CloseCode.VersionMismatch. */
export const PROTOCOL_VERSION = 1;
