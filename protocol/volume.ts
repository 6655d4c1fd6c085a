/**
 * Volumes are whole numbers on one scale everywhere: on the wire (ToySettings),
 * in the store, in configs and on the command line. 0 is silent; the top of the
 * range is the speaker's full gain (device/volume-control.ts maps the scale to
 * gain). One range, so a value accepted at one end is never refused at the other.
 */
export const VOLUME_RANGE: Readonly<{ min: number; max: number }> = Object.freeze({ min: 0, max: 100 });

/**
 * The volume a toy plays at while no parent has chosen one: the gateway's
 * default in the welcome, and the device's own until the first welcome arrives.
 */
export const DEFAULT_VOLUME = 70;
