import Keyv from 'keyv';
import { useFastSerialization } from '../../../src/store/serialize';

/** keyv's own pair, and the same pair after useFastSerialization. */
function pairs() {
  const plain = new Keyv();
  const fast = new Keyv();
  useFastSerialization(fast);
  return { plain, fast };
}

const samples: unknown[] = [
  { value: [['id', 1, 'nick', "<message xmlns='jabber:client'><body>a \"quoted\" ü 😀 line\n</body></message>"]], expires: 1_800_000_000_000 },
  { value: { next: 3, at: 5, segs: [[0, 50, 1, 2]] } },
  { value: ':starts with a colon' },
  { value: ['ok', ':in an array', 'ok'] },
  { value: { key: ':in an object' } },
  { value: '::two colons' },
  { value: ':base64:not really' },
  { value: Buffer.from('bytes') },
  { value: { nested: { buffer: Buffer.from([0, 1, 255]) } } },
  { value: { ':colon key': 1, 'ends with [': 2 } },
  { value: 'a "quoted": colon, [inside]' },
  { value: new Date(Date.UTC(2026, 0, 1)) },
  { value: [null, 0, -1.5, true, ''] },
  { value: null },
  { value: 42, expires: 7 },
];

describe('useFastSerialization', () => {
  it.each(samples.map((s, i) => [i, s]))('writes exactly what keyv writes (sample %i)', async (_, sample) => {
    const { plain, fast } = pairs();
    expect(await fast.serialize!(sample as never)).toBe(await plain.serialize!(sample as never));
  });

  it.each(samples.map((s, i) => [i, s]))('reads back what keyv reads back (sample %i)', async (_, sample) => {
    const { plain, fast } = pairs();
    const text = await plain.serialize!(sample as never);
    expect(await fast.deserialize!(text)).toEqual(await plain.deserialize!(text));
  });

  it('round-trips strings that start with a colon and buffers through a keyv store', async () => {
    const { fast } = pairs();
    const values = [':x', '::y', ['a', ':b'], { c: ':d' }, Buffer.from('e')];
    for (const [i, value] of values.entries()) await fast.set(`k${i}`, value);
    for (const [i, value] of values.entries()) expect(await fast.get(`k${i}`)).toEqual(value);
  });
});
