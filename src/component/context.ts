import type { Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import type { Adapter, AdhocCommand } from '../core/adapter';
import type { SessionManager } from '../core/session-manager';

/** What the XMPP-side handlers of one transport domain need. */
export interface TransportContext {
  domain: string;
  adapter: Adapter;
  sessions: SessionManager;
  logger: Logger;
  send(el: Element): void;
  /** Access control: the configured allow list (bare JIDs or domains). */
  isAllowed(bareJid: string): boolean;
  /** Built-in and adapter commands, by node. */
  commands: AdhocCommand[];
  software: { name: string; version: string };
}
