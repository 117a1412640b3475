/**
 * XEP-0045 moderation and room configuration as IRC commands: kick = KICK, moderator = +o,
 * participant/member = +v, visitor = -v, admin = +o, outcast = +b nick!*@* (and a KICK), the
 * room configuration = TOPIC and the modes +t +m +i +k +l +s. The server decides: its refusal
 * (482 "You're not channel operator"...) is the answer, in its own words.
 */
import type { Affiliation, AffiliationEntry, AffiliationTarget, Occupant, Role, RoomConfig } from '../../src/core/adapter';
import { GatewayError } from '../../src/core/errors';
import { isNick, parseLocalpart, unescapeLocalpart, escapeLocalpart } from './address';
import type { CommandRunner } from './command-runner';
import { CHANNEL_KEY_MAX, checkLength } from './limits';
import { modeMarks, type ChannelState } from './rooms';
import { singleLine } from './text';

export interface RoomAdminHost {
  runner: CommandRunner;
  /** The joined channel for a room localpart (throws not-acceptable when not joined). */
  joinedChannel(room: string): ChannelState;
  defaultServer?: string;
}

const REASON_MAX = 300;
const OP = modeMarks('qaoh');
const VOICE = modeMarks('v');
/** nick!user@host with wildcards, as ban lists hold them. */
const MASK = /^[^\s\0!@,]+![^\s\0!@,]+@[^\s\0!@,]+$/;

function reasonText(reason?: string): string {
  return reason ? singleLine(reason).slice(0, REASON_MAX) : '';
}

function checkNick(nick: string): string {
  if (!isNick(nick)) throw new GatewayError('item-not-found', `"${nick.slice(0, 40)}" is not an IRC nickname.`);
  return nick;
}

/** MODE lines taking the member's prefix modes from what they are to what is asked. */
function memberModes(channel: string, o: Occupant | undefined, nick: string, add: string, remove: string): string[] {
  const marks = o?.marks ?? 0;
  const lines: string[] = [];
  for (const letter of remove) if (marks & modeMarks(letter)) lines.push(`MODE ${channel} -${letter} ${nick}`);
  for (const letter of add) if (!(marks & modeMarks(letter))) lines.push(`MODE ${channel} +${letter} ${nick}`);
  return lines;
}

export class RoomAdmin {
  constructor(private readonly host: RoomAdminHost) {}

  async setRole(room: string, nick: string, role: Role, reason?: string): Promise<void> {
    const state = this.host.joinedChannel(room);
    checkNick(nick);
    const o = state.room.occupant(nick);
    if (!o) throw new GatewayError('item-not-found', `${nick} is not in ${state.name}.`);
    const name = state.name;
    let lines: string[];
    if (role === 'none') {
      const why = reasonText(reason);
      lines = [why ? `KICK ${name} ${o.nick} :${why}` : `KICK ${name} ${o.nick}`];
    } else if (role === 'moderator') {
      lines = (o.marks ?? 0) & OP ? [] : memberModes(name, o, o.nick, 'o', '');
    } else if (role === 'participant') {
      // Voice makes someone a participant whatever the channel's +m; operators lose their status.
      lines = memberModes(name, o, o.nick, state.moderated ? 'v' : '', 'qaoh');
    } else {
      lines = memberModes(name, o, o.nick, '', 'qaohv');
    }
    await this.host.runner.run(lines, name, o.nick);
  }

  /** A ban mask or a nick from an affiliation change's target. */
  private target(t: AffiliationTarget): { nick?: string; mask?: string } {
    if (t.localpart) {
      const raw = unescapeLocalpart(t.localpart);
      if (MASK.test(raw)) return { mask: raw };
      const address = parseLocalpart(t.localpart, this.host.defaultServer);
      if (address.kind !== 'contact') throw new GatewayError('not-acceptable', `${raw} is not an IRC user.`);
      return { nick: address.nick };
    }
    return { nick: checkNick(t.nick ?? '') };
  }

  async setAffiliation(room: string, t: AffiliationTarget, affiliation: Affiliation, reason?: string): Promise<void> {
    const state = this.host.joinedChannel(room);
    const name = state.name;
    const { nick, mask } = this.target(t);
    const o = nick ? state.room.occupant(nick) : undefined;
    const who = o?.nick ?? nick;
    let lines: string[];
    switch (affiliation) {
      case 'owner':
        throw new GatewayError('not-allowed', 'IRC channels have no owners that can be appointed; make them an admin (channel operator) instead.');
      case 'admin':
        lines = memberModes(name, o, who!, 'o', '');
        break;
      case 'member':
        lines = memberModes(name, o, who!, 'v', 'qaoh');
        break;
      case 'outcast': {
        // The KICK only once the ban is in place: a refused ban leaves the occupant alone.
        await this.host.runner.run([`MODE ${name} +b ${mask ?? `${who}!*@*`}`], name, who);
        const why = reasonText(reason);
        lines = o ? [why ? `KICK ${name} ${o.nick} :${why}` : `KICK ${name} ${o.nick}`] : [];
        break;
      }
      default:
        // Back to nobody: a ban lifted, or an occupant's operator status and voice taken.
        lines = mask || !o ? [`MODE ${name} -b ${mask ?? `${who}!*@*`}`] : memberModes(name, o, o.nick, '', 'qaohv');
    }
    await this.host.runner.run(lines, name, who);
  }

  /** The ban list (MODE #chan +b); other affiliations come from the occupant table. */
  async affiliations(room: string, affiliation: Affiliation, bans: () => { banned: string }[] | undefined): Promise<AffiliationEntry[] | undefined> {
    if (affiliation !== 'outcast') return undefined;
    const state = this.host.joinedChannel(room);
    await this.host.runner.run([`MODE ${state.name} +b`], state.name);
    return (bans() ?? []).filter((b) => MASK.test(b.banned)).map((b) => ({ affiliation: 'outcast', localpart: escapeLocalpart(b.banned) }));
  }

  roomConfig(room: string): RoomConfig {
    const state = this.host.joinedChannel(room);
    const modes = state.modes;
    const limit = Number(modes.get('l') ?? 0);
    return {
      subject: state.topic ?? '',
      subjectLocked: modes.has('t'),
      moderated: modes.has('m'),
      membersOnly: modes.has('i'),
      password: modes.get('k') ?? '',
      maxUsers: Number.isInteger(limit) && limit > 0 ? limit : 0,
      public: !modes.has('s') && !modes.has('p'),
    };
  }

  async configureRoom(room: string, changes: RoomConfig): Promise<void> {
    const state = this.host.joinedChannel(room);
    const name = state.name;
    const lines: string[] = [];
    const flag = (value: boolean | undefined, letter: string) => {
      if (value !== undefined) lines.push(`MODE ${name} ${value ? '+' : '-'}${letter}`);
    };
    if (changes.subject !== undefined) lines.push(`TOPIC ${name} :${singleLine(changes.subject).slice(0, 390)}`);
    flag(changes.subjectLocked, 't');
    flag(changes.moderated, 'm');
    flag(changes.membersOnly, 'i');
    if (changes.public !== undefined) {
      lines.push(`MODE ${name} ${changes.public ? '-s' : '+s'}`);
      if (changes.public && state.modes.has('p')) lines.push(`MODE ${name} -p`);
    }
    if (changes.maxUsers !== undefined) lines.push(changes.maxUsers > 0 ? `MODE ${name} +l ${changes.maxUsers}` : `MODE ${name} -l`);
    if (changes.password !== undefined) {
      checkLength('room password (channel key)', changes.password, CHANNEL_KEY_MAX);
      const key = singleLine(changes.password).replace(/[\s,]/g, '');
      const old = state.modes.get('k');
      if (changes.password && !key) throw new GatewayError('not-acceptable', 'That password has no character IRC accepts in a channel key.');
      if (old !== undefined) lines.push(`MODE ${name} -k ${old || '*'}`);
      if (key) lines.push(`MODE ${name} +k ${key}`);
    }
    await this.host.runner.run(lines, name);
  }
}
