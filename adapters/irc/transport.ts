/**
 * irc-framework's TCP/TLS transport with two changes: incoming lines fall back to a configured
 * encoding when they are not UTF-8, and no outgoing line can carry CR, LF or NUL whatever
 * code path produced it (a last line of defence behind the text rules in text.ts).
 */
import NetTransport from 'irc-framework/src/transports/net';
import type { ClientOptions } from 'irc-framework';
import type { TextDecoder } from 'node:util';
import { decodeIrcLine } from './decode';

export function transportWithFallback(fallback: TextDecoder): new (options: ClientOptions) => NetTransport {
  return class SafeTransport extends NetTransport {
    override writeLine(line: string, callback?: () => void): void {
      super.writeLine(line.replace(/[\r\n\0]/g, ' '), callback);
    }

    override onSocketData(data: Buffer): void {
      let buffer = Buffer.concat([this.incoming_buffer, data]);
      let newline: number;
      while ((newline = buffer.indexOf(0x0a)) !== -1) {
        const line = decodeIrcLine(buffer.subarray(0, newline + 1), fallback);
        buffer = buffer.subarray(newline + 1);
        this.emit('line', line);
      }
      this.incoming_buffer = buffer;
    }
  };
}
