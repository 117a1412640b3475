import type { Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import type { Adapter, AdhocCommand } from './adapter';
import type { GatewayControl } from './commands/control';
import type { History } from './history';
import type { MessageFeatures } from './message-features';
import type { RosterSync } from './roster';
import type { SessionManager } from './session-manager';

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
  /** Corrections, replies and reactions from XMPP, translated for the network. */
  features: MessageFeatures;
  /** Records what the network called a message the user sent (see SendResult). */
  recordId(scope: string, legacyId: string, xmppIds: string[]): void;
  /** XEP-0313 history; absent when switched off. */
  history?: History;
  /** Legacy contacts into the users' rosters (XEP-0356, or subscription requests). */
  roster: RosterSync;
  /** What admin commands need from the process (admins, log level, link state); absent: no admin commands. */
  control?: GatewayControl;
}
