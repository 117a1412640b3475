import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Element } from '@xmpp/xml';
import type { Logger } from 'pino';
import { linkMetrics, watchLink, type LinkMetrics } from '../metrics';
import { ComponentEntity } from './entity';
import { serialize } from './stanzas';

type Entity = ComponentEntity;

export interface ConnectionOptions {
  service: string;
  domain: string;
  password: string;
  initialDelayMs: number;
  maxDelayMs: number;
  /** Stanzas kept while disconnected; past it the oldest are dropped with an error log. */
  queueLimit: number;
  /** Unwritten output past which legacy input is paused (flow control). */
  backlogHighWaterBytes: number;
  logger: Logger;
}

interface PendingRequest {
  to?: string;
  what: string;
  resolve: (el: Element) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** "forbidden (auth): text" from an error stanza, for logs and rejections. */
function describeError(el: Element): string {
  const error = el.getChild('error');
  const condition = error?.getChildElements().find((c) => c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas' && c.name !== 'text')?.name ?? 'undefined-condition';
  const text = error?.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas');
  return `${condition}${error?.attrs.type ? ` (${error.attrs.type})` : ''}${text ? `: ${text}` : ''}`;
}

/** Stanzas already serialized whose write failed: sent again as they are. */
class Written {
  constructor(readonly text: string, readonly count: number) {}
}

type Queued = Element | Written;

function sizeOf(item: Queued): number {
  return item instanceof Written ? item.count : 1;
}

function writeOut(link: ComponentConnection): void {
  link.writeOut();
}

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, with full jitter over the upper half. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * One XEP-0114 link that never gives up: @xmpp/reconnect retries at a fixed delay and its writes
 * reject while the socket closes, so this class owns both the retry policy and an outbound queue
 * that is flushed in order after every reconnect.
 */
export class ComponentConnection extends EventEmitter {
  private entity?: Entity;
  private readonly queue: Queued[] = [];
  /** Stanzas in the queue (a Written holds several). */
  private queuedStanzas = 0;
  private attempt = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private flushing = false;
  online = false;
  droppedStanzas = 0;
  congested = false;
  private readonly pending = new Map<string, PendingRequest>();
  private readonly metrics: LinkMetrics;
  private unwatch?: () => void;
  /** Stanzas serialized in this tick, written together at its end (see send()). */
  private outText = '';
  private outCount = 0;

  constructor(private readonly options: ConnectionOptions, private readonly onStanza: (el: Element) => void) {
    super();
    this.metrics = linkMetrics(options.domain);
  }

  get queued(): number {
    return this.queuedStanzas;
  }

  start(): void {
    this.stopped = false;
    this.unwatch ??= watchLink(this.options.domain, this);
    void this.connect();
  }

  /** Resolves once the link is (or becomes) online. */
  waitOnline(timeoutMs = 30000): Promise<void> {
    if (this.online) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('online', onOnline);
        reject(new Error(`component ${this.options.domain} not online after ${timeoutMs} ms`));
      }, timeoutMs);
      const onOnline = () => {
        clearTimeout(timer);
        resolve();
      };
      this.once('online', onOnline);
    });
  }

  /** Bytes written to the XMPP server's socket that it has not taken yet. */
  get backlogBytes(): number {
    return (this.entity?.socket?.writableLength ?? 0) + this.outText.length;
  }

  /**
   * Sends `el` now, or keeps it for the next connection. Everything sent in one tick (a line fanned
   * out to every resource, an echo and its relay) leaves in one socket write at its end: the
   * library's send() costs a promise, a write callback and two events per stanza, which in a busy
   * room was a good part of the CPU per stanza.
   */
  send(el: Element): void {
    this.metrics.sent.count(el);
    const entity = this.entity;
    if (this.online && !this.flushing && this.queue.length === 0 && entity?.socket) {
      // XEP-0114: every stanza carries a from (what @xmpp/component's send() adds).
      if (!el.attrs.from && (el.name === 'message' || el.name === 'presence' || el.name === 'iq')) el.attrs.from = this.options.domain;
      // At the end of this tick, as the library's own writes would have left (see batchWritesThisTick).
      if (this.outCount === 0) process.nextTick(writeOut, this);
      this.outText += serialize(el);
      this.outCount++;
      return;
    }
    this.queue.push(el);
    this.queuedStanzas++;
    this.trim();
  }

  /** The stanzas of this tick in one write; if the link went away meanwhile, they wait in front of the queue. */
  writeOut(): void {
    if (this.outCount === 0) return;
    // Kept as text, not as the elements: a backlog of elements would be live objects the garbage
    // collector copies and promotes again and again while the XMPP server is slow to read.
    const batch = new Written(this.outText, this.outCount);
    this.outText = '';
    this.outCount = 0;
    const socket = this.entity?.socket;
    // 'closing': the stream end is on its way, nothing more may follow it (RFC 6120 4.4).
    if (!this.online || !socket || this.entity?.status !== 'online') {
      this.requeue(batch);
      return;
    }
    socket.write(batch.text, (err) => {
      if (err) this.requeue(batch);
    });
    this.watchBacklog(socket);
  }

  private requeue(batch: Written): void {
    // Older than anything queued since: it goes first.
    this.queue.unshift(batch);
    this.queuedStanzas += batch.count;
    this.trim();
  }

  /**
   * Sends an iq get/set and resolves with its result; an error reply or no answer within
   * `timeoutMs` rejects with a readable Error. Sent like any stanza, so it waits in the queue
   * while the link is down (the timeout runs from now).
   */
  request(iq: Element, timeoutMs = 15000): Promise<Element> {
    const id = (iq.attrs.id ??= `gw-${randomUUID()}`);
    if (this.pending.has(id)) return Promise.reject(new Error(`an iq with id ${id} is already waiting for its answer`));
    const payload = iq.getChildElements()[0];
    const what = `${iq.attrs.type} ${payload?.attrs.xmlns ?? payload?.name ?? 'iq'} to ${iq.attrs.to ?? 'the server'}`;
    const answered = new Promise<Element>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { to: iq.attrs.to, what, resolve, reject, timer });
    });
    this.send(iq);
    return answered;
  }

  /**
   * Settles the request `el` answers and returns true; false when it answers none of ours. Called
   * for every stanza this link receives; exposed for a stanza that a server routed to another
   * link of the same process (ejabberd picks any of them).
   */
  settle(el: Element): boolean {
    if (el.name !== 'iq' || (el.attrs.type !== 'result' && el.attrs.type !== 'error')) return false;
    const id = el.attrs.id ?? '';
    const request = this.pending.get(id);
    // Only the entity asked may answer: an id alone could be guessed by anybody.
    if (!request || (request.to !== undefined && (el.attrs.from ?? '').toLowerCase() !== request.to.toLowerCase())) return false;
    this.pending.delete(id);
    clearTimeout(request.timer);
    if (el.attrs.type === 'result') request.resolve(el);
    else request.reject(new Error(`${request.what} failed: ${describeError(el)}`));
    return true;
  }

  /**
   * Past `backlogHighWaterBytes` of unwritten output, 'congested' is emitted once; 'drained'
   * follows when the socket has written everything (or the link went away).
   */
  private watchBacklog(socket: Socket): void {
    if (this.congested || socket.writableLength < this.options.backlogHighWaterBytes) return;
    this.congested = true;
    this.options.logger.warn({ domain: this.options.domain, backlogBytes: socket.writableLength }, 'the XMPP server is slower than the gateway: pausing legacy input until it catches up');
    this.emit('congested');
    const relieved = () => {
      socket.off('drain', relieved);
      socket.off('close', relieved);
      if (!this.congested) return;
      this.congested = false;
      this.options.logger.info({ domain: this.options.domain }, 'the XMPP server caught up: legacy input resumed');
      this.emit('drained');
    };
    socket.on('drain', relieved);
    socket.on('close', relieved);
  }

  async stop(): Promise<void> {
    // What was sent in this tick leaves before the stream is closed.
    this.writeOut();
    this.stopped = true;
    clearTimeout(this.timer);
    this.unwatch?.();
    this.unwatch = undefined;
    const entity = this.entity;
    this.entity = undefined;
    this.online = false;
    for (const [id, request] of this.pending) {
      this.pending.delete(id);
      clearTimeout(request.timer);
      request.reject(new Error(`${request.what}: the component link was stopped before an answer came`));
    }
    if (entity) await entity.stop().catch(() => undefined);
  }

  private trim(): void {
    // A whole failed write goes at once; the newest stanza is always kept.
    while (this.queuedStanzas > this.options.queueLimit && this.queue.length > 1) {
      const dropped = sizeOf(this.queue.shift()!);
      this.queuedStanzas -= dropped;
      this.droppedStanzas += dropped;
      this.metrics.dropped.value += dropped;
      this.options.logger.error({ domain: this.options.domain, queueLimit: this.options.queueLimit }, 'outbound queue full while disconnected: oldest stanza dropped');
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const { service, domain, password, logger } = this.options;
    // component-core rather than @xmpp/component: the latter adds a fixed-delay reconnect and an
    // iq middleware that answers service-unavailable to every iq before the router can.
    const entity = new ComponentEntity({ service, domain });
    this.entity = entity;
    entity.on('open', (el: Element) => {
      entity.authenticate(el.attrs.id ?? '', password).catch((err: Error) => entity.emit('error', err));
    });
    entity.on('error', (err: Error & { condition?: string }) => {
      if (err.condition === 'not-authorized') {
        logger.error({ domain }, 'the XMPP server refused the component secret (not-authorized): check the transport secret in both configs');
      } else {
        // Failed connects are logged once where start() rejects; this is the detail.
        logger.debug({ domain, err: err.message }, 'component connection error');
      }
    });
    entity.on('stanza', (el: Element) => {
      this.metrics.received.count(el);
      if (!this.settle(el)) this.onStanza(el);
    });
    entity.on('online', () => {
      if (this.entity !== entity) return;
      this.online = true;
      this.attempt = 0;
      logger.info({ domain, queued: this.queuedStanzas }, 'component online');
      this.emit('online');
      void this.flush(entity);
    });
    entity.on('disconnect', () => this.lost(entity));
    entity.on('offline', () => this.lost(entity));
    try {
      await entity.start();
    } catch (err) {
      const e = err as Error & { condition?: string };
      if (e.condition !== 'not-authorized') logger.warn({ domain, err: e.message }, 'component connect failed');
      this.lost(entity);
    }
  }

  private lost(entity: Entity): void {
    if (this.entity !== entity) return;
    this.entity = undefined;
    const wasOnline = this.online;
    this.online = false;
    entity.removeAllListeners('online');
    entity.stop().catch(() => undefined);
    if (wasOnline) this.emit('offline');
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt++, this.options.initialDelayMs, this.options.maxDelayMs);
    this.metrics.reconnects.value++;
    this.options.logger.info({ domain: this.options.domain, delayMs: delay, attempt: this.attempt }, 'component disconnected; reconnecting');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), delay);
  }

  /** Text on the entity's socket, settled once written (what the library's write() does). */
  private writeText(entity: Entity, text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = entity.socket;
      if (!socket || entity.status !== 'online') {
        reject(new Error('the component link is not online'));
        return;
      }
      socket.write(text, (err) => (err ? reject(err) : resolve()));
    });
  }

  private async flush(entity: Entity): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0 && this.entity === entity && this.online) {
        const item = this.queue[0];
        try {
          if (item instanceof Written) await this.writeText(entity, item.text);
          else await entity.send(item);
        } catch {
          return; // still queued; the next connection flushes it
        }
        this.queue.shift();
        this.queuedStanzas -= sizeOf(item);
      }
    } finally {
      this.flushing = false;
    }
  }
}
