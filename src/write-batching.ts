import type { Writable } from 'node:stream';

function uncork(stream: Writable): void {
  stream.uncork();
}

/**
 * Holds the stream's writes back until the current tick's work is done, so that everything one
 * incoming chunk produces (a line fanned out to every occupant, an echo and its relay) leaves in
 * one writev system call instead of one write each. Nothing waits longer than the current tick.
 */
export function batchWritesThisTick(stream: Writable): void {
  if (stream.writableCorked > 0 || stream.destroyed) return;
  stream.cork();
  process.nextTick(uncork, stream);
}
