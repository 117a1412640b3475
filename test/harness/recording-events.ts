import type { AdapterEvents } from '../../src/core/adapter';

export interface RecordedEvent {
  kind: string;
  args: unknown[];
}

/**
 * AdapterEvents that record every call, so adapter tests can wait for what the legacy side did
 * without an XMPP server. `waitFor` resolves with the first matching event (past or future).
 */
export function recordingEvents(): { events: AdapterEvents; log: RecordedEvent[]; waitFor(kind: string, match?: (...args: any[]) => boolean, timeoutMs?: number): Promise<unknown[]> } {
  const log: RecordedEvent[] = [];
  const waiters: { kind: string; match: (...args: any[]) => boolean; resolve: (args: unknown[]) => void }[] = [];
  const record = (kind: string) => (...args: unknown[]) => {
    log.push({ kind, args });
    for (const w of [...waiters]) {
      if (w.kind === kind && w.match(...args)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(args);
      }
    }
  };
  const events: AdapterEvents = {
    message: record('message'),
    chatState: record('chatState'),
    contactPresence: record('contactPresence'),
    receipt: record('receipt'),
    messageError: record('messageError'),
    status: record('status'),
    room: {
      joined: record('room.joined'),
      joinFailed: record('room.joinFailed'),
      occupantJoined: record('room.occupantJoined'),
      occupantChanged: record('room.occupantChanged'),
      occupantLeft: record('room.occupantLeft'),
      nickChanged: record('room.nickChanged'),
      subject: record('room.subject'),
      message: record('room.message'),
      error: record('room.error'),
    },
  };
  function waitFor(kind: string, match: (...args: any[]) => boolean = () => true, timeoutMs = 10000): Promise<unknown[]> {
    const seen = log.find((e) => e.kind === kind && match(...e.args));
    if (seen) return Promise.resolve(seen.args);
    return new Promise((resolve, reject) => {
      const w = { kind, match, resolve: (args: unknown[]) => { clearTimeout(timer); resolve(args); } };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(new Error(`timed out waiting for ${kind}; recorded: ${log.map((e) => e.kind).join(', ')}`));
      }, timeoutMs);
      waiters.push(w);
    });
  }
  return { events, log, waitFor };
}
