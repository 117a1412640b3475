// @xmpp/* 0.13 ship no TypeScript types; these declare the parts the gateway and its tests use.
declare module '@xmpp/xml' {
  type Node = Element | string;
  class Element {
    name: string;
    attrs: Record<string, string | undefined>;
    children: Node[];
    parent: Element | null;
    constructor(name: string, attrs?: Record<string, string | undefined>);
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    text(): string;
    getNS(): string | undefined;
    append(...nodes: Node[]): Element;
    c(name: string, attrs?: Record<string, string | undefined>): Element;
    t(text: string): Element;
    up(): Element;
    root(): Element;
    toString(): string;
    clone(): Element;
  }
  function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: (Node | Node[] | undefined | null | false)[]): Element;
  namespace xml {
    export { Element };
    export function escapeXML(s: string): string;
  }
  export = xml;
}

declare module '@xmpp/component-core' {
  import type { Element } from '@xmpp/xml';
  import { EventEmitter } from 'node:events';
  export class Component extends EventEmitter {
    constructor(options: { service: string; domain: string });
    status: string;
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(el: Element): Promise<void>;
    authenticate(id: string, password: string): Promise<void>;
    /** The TCP socket while connected (a plain net.Socket for XEP-0114). */
    socket: import('node:net').Socket | null;
    /** The socket class connect() instantiates (a prototype property in @xmpp/connection-tcp). */
    Socket: new () => import('node:net').Socket;
    /** The stream parser of the current connection. */
    parser: { write(text: string): void };
    /** Socket 'data' handler: decodes a chunk and feeds the parser. */
    _onData(data: Buffer): void;
  }
}

declare module '@xmpp/component' {
  import type { Element } from '@xmpp/xml';
  import { EventEmitter } from 'node:events';
  interface Component extends EventEmitter {
    status: string;
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(el: Element): Promise<void>;
    reconnect: { stop(): void };
    socket?: { destroy?(): void } | null;
  }
  export function component(options: { service: string; domain: string; password: string }): Component;
  export const xml: typeof import('@xmpp/xml');
}

declare module '@xmpp/client' {
  import type { Element } from '@xmpp/xml';
  import { EventEmitter } from 'node:events';
  interface Client extends EventEmitter {
    status: string;
    jid?: { toString(): string; bare(): { toString(): string } };
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(el: Element): Promise<void>;
    iqCaller: { request(el: Element, timeout?: number): Promise<Element> };
    reconnect: { stop(): void };
  }
  export function client(options: { service: string; domain?: string; username?: string; password?: string; resource?: string }): Client;
  export const xml: typeof import('@xmpp/xml');
}
