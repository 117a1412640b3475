/**
 * Flow control for one IRC transport: while the XMPP server lags behind (Adapter.setInboundPaused),
 * every IRC socket stops reading, so what the IRC servers send waits in TCP and server buffers
 * rather than as stanzas in the gateway's memory. Sockets opened while paused start paused.
 */
import type { Socket } from 'node:net';

export class InboundGate {
  private readonly sockets = new Set<Socket>();
  paused = false;

  /** A new connection's socket; it leaves the gate when it closes. */
  add(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    if (this.paused) socket.pause();
  }

  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    for (const socket of this.sockets) {
      if (paused) socket.pause();
      else socket.resume();
    }
  }

  get size(): number {
    return this.sockets.size;
  }
}
