/**
 * The IRC network the scale benchmark builds: U users, each in exactly 3 channels, sized like a
 * real network: one channel of U/2 users, ten of U/20, the rest of 3–5 users. Deterministic (a
 * seeded generator), so every run and both systems under test see the same network.
 */

export interface Channel {
  name: string;
  /** User indexes. */
  members: number[];
  kind: 'big' | 'medium' | 'small';
}

export interface Topology {
  u: number;
  nicks: string[];
  channels: Channel[];
  /** Channel indexes of each user (exactly 3). */
  channelsOf: number[][];
  /** Users whose XMPP client is in their rooms (the others are registered, their IRC connections idle in the channels). */
  online: boolean[];
  onlineCount: number;
}

/** mulberry32: small, fast, good enough to shuffle a test network. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: T[], random: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

export function nickOf(i: number): string {
  return `u${String(i).padStart(5, '0')}`;
}

/**
 * Builds the network. The big and medium channels take each user at most once; the remaining
 * memberships (two per user on average) are dealt into channels of 3, 4 and 5 with no user twice
 * in one channel.
 */
export function buildTopology(u: number, onlineCount: number, seed = 15): Topology {
  if (u < 40) throw new Error('the topology needs at least 40 users (ten channels of U/20)');
  const random = seeded(seed);
  const users = Array.from({ length: u }, (_, i) => i);
  const channels: Channel[] = [];
  const channelsOf: number[][] = users.map(() => []);
  const add = (name: string, kind: Channel['kind'], members: number[]) => {
    const index = channels.length;
    channels.push({ name, kind, members });
    for (const m of members) channelsOf[m].push(index);
  };
  add('#big', 'big', shuffled(users, random).slice(0, Math.floor(u / 2)));
  const medium = Math.floor(u / 20);
  const order = shuffled(users, random);
  for (let c = 0; c < 10; c++) add(`#mid${c}`, 'medium', order.slice(c * medium, (c + 1) * medium));

  const slots = shuffled(users.flatMap((i) => Array.from({ length: 3 - channelsOf[i].length }, () => i)), random);
  const groups: number[][] = [];
  let size = 3;
  while (slots.length > 0) {
    const group: number[] = [];
    while (group.length < size && slots.length > 0) {
      // The first slot whose user is not in the group yet (a user never sits twice in one channel).
      const at = slots.findIndex((s) => !group.includes(s));
      if (at < 0) break;
      group.push(slots[at]);
      slots.splice(at, 1);
    }
    if (group.length < 3) {
      // A short tail joins earlier groups that still have room and lack these users.
      for (const m of group) {
        const target = groups.find((g) => g.length < 6 && !g.includes(m));
        if (!target) throw new Error(`topology: no small channel can take user ${m}`);
        target.push(m);
      }
      break;
    }
    groups.push(group);
    size = size === 5 ? 3 : size + 1;
  }
  groups.forEach((g, i) => add(`#s${String(i).padStart(5, '0')}`, 'small', g));

  const online = new Array<boolean>(u).fill(false);
  for (const i of shuffled(users, random).slice(0, Math.min(u, onlineCount))) online[i] = true;
  return { u, nicks: users.map(nickOf), channels, channelsOf, online, onlineCount: Math.min(u, onlineCount) };
}

/** How many of the channel's members have their XMPP client in the room. */
export function onlineMembers(t: Topology, channel: Channel): number {
  return channel.members.reduce((n, m) => n + (t.online[m] ? 1 : 0), 0);
}

/**
 * The channels that carry the steady traffic: the big one, the ten medium ones and up to
 * `smallCount` small ones (IRC->XMPP); and up to `senderCount` small channels with an online
 * member who writes from XMPP (XMPP->IRC), each with that sender.
 */
export function trafficPlan(t: Topology, smallCount: number, senderCount: number): { inbound: Channel[]; outbound: { channel: Channel; sender: number }[] } {
  const big = t.channels.filter((c) => c.kind !== 'small');
  const small = t.channels.filter((c) => c.kind === 'small');
  // At most half of the small channels carry inbound lines, so that the other half has senders.
  const inboundSmall = Math.min(smallCount, Math.floor(small.length / 2));
  const inbound = [...big, ...small.slice(0, inboundSmall)];
  const outbound: { channel: Channel; sender: number }[] = [];
  for (const channel of small.slice(inboundSmall)) {
    if (outbound.length >= senderCount) break;
    const sender = channel.members.find((m) => t.online[m]);
    if (sender !== undefined) outbound.push({ channel, sender });
  }
  if (outbound.length === 0) throw new Error('no small channel has an online member to write from XMPP');
  return { inbound, outbound };
}
