/**
 * Process figures for /metrics, read when scraped. prom-client's default collectors observe
 * every garbage collection and sample the event loop on timers; under a relay load of thousands
 * of stanzas a second that observation alone cost microseconds per stanza. These are taken at
 * scrape time instead (the event-loop delay from Node's own native histogram).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type * as Prom from 'prom-client';

export function registerProcessMetrics(prom: typeof Prom, registry: Prom.Registry, prefix: string): void {
  const registers = [registry];
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  const startSeconds = Math.round((Date.now() - process.uptime() * 1000) / 1000);
  const gauge = (name: string, help: string, read: () => number) =>
    new prom.Gauge({ name: `${prefix}${name}`, help, registers, collect() { this.set(read()); } });
  const counter = (name: string, help: string, read: () => number) =>
    new prom.Counter({ name: `${prefix}${name}`, help, registers, collect() { this.reset(); this.inc(read()); } });

  counter('process_cpu_user_seconds_total', 'User CPU time of the process.', () => process.cpuUsage().user / 1e6);
  counter('process_cpu_system_seconds_total', 'System CPU time of the process.', () => process.cpuUsage().system / 1e6);
  counter('process_cpu_seconds_total', 'User and system CPU time of the process.', () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  });
  gauge('process_resident_memory_bytes', 'Resident memory of the process.', () => process.memoryUsage.rss());
  gauge('process_start_time_seconds', 'When the process started (Unix time).', () => startSeconds);
  gauge('nodejs_heap_size_total_bytes', 'V8 heap size.', () => process.memoryUsage().heapTotal);
  gauge('nodejs_heap_size_used_bytes', 'V8 heap in use.', () => process.memoryUsage().heapUsed);
  gauge('nodejs_external_memory_bytes', 'Memory of C++ objects bound to JavaScript (buffers, sockets).', () => process.memoryUsage().external);
  // Percentiles of the event-loop delay since the previous scrape.
  const lag = (p: number) => () => delay.percentile(p) / 1e9;
  gauge('nodejs_eventloop_lag_seconds', 'Mean event-loop delay since the previous scrape.', () => {
    const mean = Number.isFinite(delay.mean) ? delay.mean / 1e9 : 0;
    return mean;
  });
  gauge('nodejs_eventloop_lag_p50_seconds', 'Median event-loop delay since the previous scrape.', lag(50));
  gauge('nodejs_eventloop_lag_p90_seconds', '90th percentile of the event-loop delay since the previous scrape.', lag(90));
  gauge('nodejs_eventloop_lag_p99_seconds', '99th percentile of the event-loop delay since the previous scrape.', () => {
    const value = lag(99)();
    // The last figure read at a scrape: the next scrape covers the time after this one.
    delay.reset();
    return value;
  });
}
