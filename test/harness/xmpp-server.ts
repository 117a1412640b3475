import { Ejabberd } from './ejabberd';
import { Prosody } from './prosody';

export type XmppServerKind = 'prosody' | 'ejabberd';

export interface XmppServerComponent {
  domain: string;
  secret: string;
}

/** What end-to-end suites need from the XMPP server, whichever one it is. */
export interface XmppServer {
  /** The users' domain (their JIDs are user@domain). */
  readonly domain: string;
  /** The loopback address both ports listen on. */
  readonly host: string;
  readonly c2sPort: number;
  /** The XEP-0114 port every component connects to. */
  readonly componentPort: number;
  /** The server's recent console output, for failure messages. */
  output: string;
  /** Creates or resets an account; returns its bare JID. */
  createUser(username: string, password: string): string;
  stop(): Promise<void>;
  /** Stops, stays down for `downMs`, starts again on the same ports with the same data. */
  restart(downMs?: number): Promise<void>;
  /** Stops and removes every file the server wrote. */
  destroy(): Promise<void>;
}

/**
 * Starts the server of that kind on loopback with the given components. ejabberd gets the
 * configuration the README recommends (one `ejabberd_service` listener, `global_routes: false`).
 */
export async function startXmppServer(kind: XmppServerKind, components: XmppServerComponent[]): Promise<XmppServer> {
  switch (kind) {
    case 'prosody':
      return Prosody.start(components);
    case 'ejabberd':
      return Ejabberd.start(components, { globalRoutes: false });
  }
}

/**
 * The servers end-to-end suites run against: every one installed here. In CI (CI=true) both are
 * required, so a missing one throws instead of shrinking the list.
 */
export function xmppServerKinds(): XmppServerKind[] {
  const kinds: XmppServerKind[] = [];
  if (Prosody.available()) kinds.push('prosody');
  if (Ejabberd.available()) kinds.push('ejabberd');
  return kinds;
}
