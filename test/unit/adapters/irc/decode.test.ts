import { decodeIrcLine, fallbackDecoder } from '../../../../adapters/irc/decode';

describe('incoming line decoding', () => {
  test('valid UTF-8 is decoded as UTF-8', () => {
    expect(decodeIrcLine(Buffer.from('naïve ✓ 😀'), fallbackDecoder('latin1'))).toBe('naïve ✓ 😀');
  });

  test('invalid UTF-8 falls back to the configured encoding', () => {
    expect(decodeIrcLine(Buffer.from('caf\xe9', 'latin1'), fallbackDecoder('latin1'))).toBe('café');
    expect(decodeIrcLine(Buffer.from([0xc1, 0xc2]), fallbackDecoder('koi8-r'))).toBe('аб');
  });

  test('unknown encodings are refused', () => {
    expect(() => fallbackDecoder('no-such-encoding')).toThrow();
  });
});
