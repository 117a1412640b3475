/**
 * The XEP-0114 entity from @xmpp/component-core with two fixes to how it reads its socket.
 *
 * - UTF-8 across reads: @xmpp/connection turns every chunk into a string on its own, so a
 *   character whose bytes straddle two TCP reads became two U+FFFD. A StringDecoder keeps the
 *   unfinished bytes for the next chunk.
 * - One read buffer: Node allocates 64 KB per socket read by default and shrinks it to what was
 *   read; under a burst of thousands of small reads between garbage collections that fragments
 *   the C heap and the process keeps the memory. The socket reads into one buffer instead, which
 *   is safe because the decoder copies out of it before the next read.
 */
import { Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { Component } from '@xmpp/component-core';

const readBuffer = Buffer.allocUnsafe(64 * 1024);

class SharedBufferSocket extends Socket {
  constructor() {
    // Node's Socket constructor takes `onread` (net.connect passes its options through to it);
    // @types/node only declares it on the connect options.
    super({
      onread: {
        buffer: readBuffer,
        callback: (bytes: number) => {
          this.emit('data', readBuffer.subarray(0, bytes));
          return true;
        },
      },
    } as ConstructorParameters<typeof Socket>[0]);
  }
}

export class ComponentEntity extends Component {
  private readonly decoder = new StringDecoder('utf8');

  override _onData(data: Buffer): void {
    const text = this.decoder.write(data);
    if (text === '') return;
    this.emit('input', text);
    this.parser.write(text);
  }
}

ComponentEntity.prototype.Socket = SharedBufferSocket;
