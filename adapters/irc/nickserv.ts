/**
 * NickServ IDENTIFY without SASL. The nick "NickServ" is just a nick: on a network without
 * services (or while they are down) any user can hold it, and a password sent to it is theirs.
 * So the password goes out only after WHOIS shows that NickServ is a network service, as the
 * server itself marks services (ngircd: 310 "is an IRC service"; UnrealIRCd, InspIRCd, Solanum:
 * 313 "is a Network Service"; some: 320), or that it is connected through a server the
 * operator listed as the network's services server. Otherwise the user is told, once per session.
 */

/** The fields of irc-framework's `whois` event this check reads. */
export interface WhoisReply {
  nick?: string;
  /** 312: the server the nick is connected through (set by the network, not by the user). */
  server?: string;
  /** 310: ngircd's service mark (elsewhere "is available for help"). */
  helpop?: string;
  /** 313: operator / "is a Network Service". */
  operator?: string;
  /** 320: extra lines some servers use for services. */
  special?: string[];
  error?: string;
}

export const SERVICES_NICK = 'NickServ';

/** Server texts for services; user-controlled WHOIS fields (real name, away text, channels) are never read. */
const SERVICE_MARK = /\bis an? (?:irc |network )?service\b/i;

export type Verdict = { trusted: true } | { trusted: false; reason: string };

export function servicesVerdict(reply: WhoisReply, trustedServers: readonly string[], network: string): Verdict {
  if (reply.error || !reply.nick) return { trusted: false, reason: `no ${SERVICES_NICK} is online on ${network}` };
  if (reply.server && trustedServers.some((s) => s.toLowerCase() === reply.server?.toLowerCase())) return { trusted: true };
  const marks = [reply.helpop, reply.operator, ...(reply.special ?? [])];
  if (marks.some((text) => text !== undefined && SERVICE_MARK.test(text))) return { trusted: true };
  return { trusted: false, reason: `${SERVICES_NICK} on ${network} is not a network service (an ordinary user may hold that nick)` };
}

export interface NickServHost {
  readonly network: string;
  readonly password?: string;
  readonly trustedServers: readonly string[];
  lower(name: string): string;
  send(line: string): void;
  /** A message to the user from the server JID. */
  tell(text: string): void;
}

/** One session's IDENTIFY: a WHOIS after each registration, the password only on a trusted answer. */
export class NickServIdentify {
  private asked = false;
  private warned = false;

  constructor(private readonly host: NickServHost) {}

  /** Registered without SASL: ask who NickServ is. */
  start(): void {
    if (!this.host.password) return;
    this.asked = true;
    this.host.send(`WHOIS ${SERVICES_NICK}`);
  }

  /** The connection is gone; a WHOIS answer can no longer come on it. */
  reset(): void {
    this.asked = false;
  }

  /** Our WHOIS's 401 is part of the answer, not an error for the user. */
  expects(nick: string): boolean {
    return this.asked && this.host.lower(nick) === this.host.lower(SERVICES_NICK);
  }

  /** irc-framework's `whois` event (end of WHOIS). */
  onWhois(reply: WhoisReply): void {
    if (!reply.nick || !this.expects(reply.nick)) return;
    this.asked = false;
    const verdict = servicesVerdict(reply, this.host.trustedServers, this.host.network);
    if (verdict.trusted) {
      this.host.send(`PRIVMSG ${SERVICES_NICK} :IDENTIFY ${this.host.password}`);
      return;
    }
    if (this.warned) return;
    this.warned = true;
    this.host.tell(`Your password was not sent: ${verdict.reason}. Use a server with SASL, or ask the gateway operator to list the network's services server (nickserv.trustedServers).`);
  }
}
