import { z } from 'zod';
import { isCountryCode } from './phone';
import type { CountryCode } from 'libphonenumber-js/max';

/** The `options` of the SMS transport in the YAML configuration. */
export const smsOptionsSchema = z.object({
  /** Path prefix of the webhooks on the gateway's HTTP server. */
  webhookPath: z.string().regex(/^\/[A-Za-z0-9._~\-/]*[A-Za-z0-9._~-]$/, 'must start with / and contain only URL-safe characters, no trailing /').default('/sms'),
  /** Twilio-compatible REST API base URL. */
  apiBaseUrl: z.url({ protocol: /^https?$/ }).default('https://api.twilio.com'),
  /** Country for numbers written without a country code (ISO 3166-1 alpha-2, e.g. US, GB). */
  defaultCountry: z.string().toUpperCase().refine(isCountryCode, 'must be a two-letter ISO country code known to libphonenumber').default('US'),
  /** Point the user's number at the gateway webhook at registration; false: tell the user the URL. */
  configureWebhook: z.boolean().default(true),
  /** Longest body sent as one message; longer ones are split into numbered parts. */
  maxSegmentLength: z.number().int().min(20).max(1600).default(1600),
  /**
   * Most SMS one XMPP message may become; longer bodies are refused before anything is sent
   * (each part is billed: a 1 MB stanza would otherwise be hundreds of messages).
   */
  maxParts: z.number().int().min(1).max(100).default(10),
  /** Timeout of one REST API request. */
  requestTimeoutMs: z.number().int().min(100).max(120000).default(15000),
  /** Retries of a REST call answered 429 / 5xx, with exponential backoff from retryBaseDelayMs. */
  maxRetries: z.number().int().min(0).max(10).default(3),
  retryBaseDelayMs: z.number().int().min(1).max(60000).default(500),
  /** How long inbound MessageSids are remembered to drop Twilio's retries of the same webhook. */
  dedupeTtlMs: z.number().int().min(1000).default(48 * 3600 * 1000),
  /** Webhooks kept per number while its owner is logged out: at most this many... */
  offlineMaxMessages: z.number().int().min(1).max(100000).default(500),
  /** ...and at most this many bytes; past either bound Twilio is answered 503 (retry later). */
  offlineMaxBytes: z.number().int().min(1024).default(2 * 1024 * 1024),
});

export type SmsOptions = Omit<z.infer<typeof smsOptionsSchema>, 'defaultCountry'> & { defaultCountry: CountryCode };

export function parseSmsOptions(raw: unknown): SmsOptions {
  return smsOptionsSchema.parse(raw ?? {}) as SmsOptions;
}
