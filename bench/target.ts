/** What the measurements need from a system under test (this gateway or biboumi). */
import type { BenchUser } from './bench-user';

export interface SystemUnderTest {
  name: string;
  /** The process whose CPU and RSS are measured. */
  pid: number;
  /** The MUC room JID of an IRC channel (e.g. "#bench" -> "#bench@irc.localhost"). */
  room(channel: string): string;
  /** Once per user, before any join: whatever the system needs to know about the user (XEP-0077, ad-hoc settings). */
  register(user: BenchUser, nick: string): Promise<void>;
  /** Makes the user an occupant of the channel with the given IRC nick; resolves on the self-presence. */
  join(user: BenchUser, nick: string, channel: string): Promise<void>;
  /** Called before reading RSS: a garbage-collected runtime collects here and tells its heap in use (bytes). */
  settle?(): Promise<number | undefined>;
  /** Writes a heap snapshot named after `label` (BENCH_HEAP_SNAPSHOT=DIR), for finding what a user costs. */
  heapSnapshot?(label: string): Promise<void>;
  stop(): Promise<void>;
}
