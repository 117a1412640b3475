import { fallbackDecoder } from '../../../../adapters/irc/decode';
import { transportWithFallback } from '../../../../adapters/irc/transport';

function transport() {
  const Transport = transportWithFallback(fallbackDecoder('latin1'));
  const t = new Transport({ host: '127.0.0.1', port: 6667, nick: 'n' });
  t.incoming_buffer = Buffer.alloc(0);
  const lines: string[] = [];
  t.on('line', (line: string) => lines.push(line));
  return { t, lines };
}

describe('IRC transport line splitting', () => {
  test('a line split across reads arrives whole, and the read buffer may be reused at once', () => {
    const { t, lines } = transport();
    const reused = Buffer.alloc(64);
    const read = (text: string) => {
      const n = reused.write(text, 'latin1');
      t.onSocketData(reused.subarray(0, n));
      reused.fill(0x58); // the next read overwrites the shared buffer
    };
    read('PING :one\r\nPRIVMSG #c :caf');
    read('\xe9 au lait\r\n');
    expect(lines).toEqual(['PING :one\r\n', 'PRIVMSG #c :café au lait\r\n']);
    expect(t.incoming_buffer.length).toBe(0);
  });

  test('the partial line kept between reads is a copy, not a view of the read buffer', () => {
    const { t } = transport();
    const shared = Buffer.alloc(64);
    const n = shared.write('NOTICE x :partial');
    t.onSocketData(shared.subarray(0, n));
    shared.fill(0x58);
    expect(t.incoming_buffer.buffer).not.toBe(shared.buffer);
    expect(t.incoming_buffer.buffer.byteLength).toBe(n);
    expect(t.incoming_buffer.toString()).toBe('NOTICE x :partial');
  });
});
