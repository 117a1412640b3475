/**
 * irc-framework's TCP/TLS transport with three changes: incoming lines fall back to a configured
 * encoding when they are not UTF-8; no outgoing line can carry CR, LF or NUL whatever code path
 * produced it (a last line of defence behind the text rules in text.ts); and plain TCP sockets
 * read into one shared buffer.
 *
 * Why the shared buffer: by default Node allocates 64 KB for every socket read and shrinks it to
 * the bytes received. With a thousand IRC connections each receiving a few lines at a time, those
 * allocations fragment the C heap between garbage collections, and the process keeps the memory
 * (measured: about 70-170 KB of RSS per connected user in `npm run bench`). Lines are copied out
 * of the shared buffer before the read callback returns, so it is never read twice.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import NetTransport from 'irc-framework/src/transports/net';
import type { ClientOptions } from 'irc-framework';
import type { TextDecoder } from 'node:util';
import { decodeIrcLine, fallbackDecoder } from './decode';
import { batchWritesThisTick } from '../../src/write-batching';

declare module 'irc-framework' {
  interface ClientOptions {
    /** Local address the socket binds to (irc-framework's own name); a per-user source address. */
    outgoing_addr?: string;
  }
}

const sharedReadBuffer = Buffer.allocUnsafe(64 * 1024);
const EMPTY = Buffer.alloc(0);

/** Outside Node's shared 8 KB pool, which a small copy would otherwise keep alive whole. */
function ownCopy(bytes: Buffer): Buffer {
  const copy = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(copy);
  return copy;
}

export function transportWithFallback(fallback: TextDecoder): new (options: ClientOptions) => NetTransport {
  return class SafeTransport extends NetTransport {
    override connect(): void {
      const options = this.options;
      if (options.tls && !options.servername) {
        super.connect();
        return;
      }
      // NetTransport.connect() without SOCKS (the gateway never sets it): TLS with a separate
      // server name, plain TCP with `onread` instead of 'data' events.
      this.disposeSocket();
      this.requested_disconnect = false;
      this.incoming_buffer = EMPTY;
      if (!options.encoding || !this.setEncoding(options.encoding)) this.setEncoding('utf8');
      this.state = 1; // SOCK_CONNECTING
      if (options.tls) {
        // irc-framework takes the TLS name from `host`, which here is the address the outbound
        // policy vetted; the certificate must still be checked against the server's name.
        // Node's tls.connect passes localAddress on to the TCP socket; its typings leave it out.
        const tlsOptions: ConnectionOptions & { localAddress?: string } = {
          host: options.host,
          port: options.port || 6667,
          servername: options.servername,
          rejectUnauthorized: options.rejectUnauthorized,
          localAddress: options.outgoing_addr,
        };
        const secure = tlsConnect(tlsOptions);
        this.socket = secure;
        this._onSocketCreate(options, secure);
        return;
      }
      const socket = netConnect({
        host: options.host,
        port: options.port || 6667,
        localAddress: options.outgoing_addr,
        onread: {
          buffer: sharedReadBuffer,
          callback: (bytes: number) => {
            this.onSocketData(sharedReadBuffer.subarray(0, bytes));
            return true;
          },
        },
      });
      this.socket = socket;
      this._onSocketCreate(options, socket);
    }

    override _onSocketCreate(options: ClientOptions, socket: Socket): void {
      super._onSocketCreate(options, socket);
      options.inboundGate?.add(socket);
    }

    override writeLine(line: string, callback?: () => void): void {
      if (this.socket) batchWritesThisTick(this.socket);
      super.writeLine(line.replace(/[\r\n\0]/g, ' '), callback);
    }

    override onSocketData(data: Buffer): void {
      let buffer = this.incoming_buffer.length ? Buffer.concat([this.incoming_buffer, data]) : data;
      let newline: number;
      while ((newline = buffer.indexOf(0x0a)) !== -1) {
        const line = decodeIrcLine(buffer.subarray(0, newline + 1), fallback);
        buffer = buffer.subarray(newline + 1);
        this.emit('line', line);
      }
      // Keep a partial line as a copy of its own: a view would pin the (shared or pooled) buffer it came from.
      this.incoming_buffer = buffer.length ? ownCopy(buffer) : EMPTY;
    }
  };
}

const transportsByEncoding = new Map<string, new (options: ClientOptions) => NetTransport>();

/**
 * One transport class (and one ICU decoder, which holds native converter state) per fallback
 * encoding for the whole process, rather than one per connection.
 */
export function transportFor(fallbackEncoding: string): new (options: ClientOptions) => NetTransport {
  let transport = transportsByEncoding.get(fallbackEncoding);
  if (!transport) {
    transport = transportWithFallback(fallbackDecoder(fallbackEncoding));
    transportsByEncoding.set(fallbackEncoding, transport);
  }
  return transport;
}
