import { z } from 'zod';

/** The email transport's `options` block in the gateway configuration. */
export const emailOptionsSchema = z.object({
  /**
   * Subject of a mail when the XMPP message has none and does not continue a thread:
   * 'first-line' uses the body's first line (shortened to 60 characters), 'empty' sends none.
   */
  defaultSubject: z.enum(['first-line', 'empty']).default('first-line'),
  /** Store a copy of every sent mail in the user's Sent folder (IMAP APPEND). */
  saveToSent: z.boolean().default(true),
  /** Folder for those copies; unset: the folder the server marks \Sent, else "Sent". */
  sentFolder: z.string().min(1).max(200).regex(/^[^\r\n\0]+$/, 'must be one line').optional(),
  /** Flag delivered mail \Seen so the user's other mail clients show it as read. */
  markSeen: z.boolean().default(true),
  /** Poll interval when the IMAP server has no IDLE (and the safety net after IDLE failures). */
  pollIntervalSeconds: z.number().int().min(5).max(3600).default(60),
  /** How long attachment download links stay valid. */
  attachmentTtlHours: z.number().positive().max(24 * 90).default(72),
  /**
   * Largest single file either way: a mail's attachment above it is listed by name and size, never
   * stored; a file sent from XMPP above it is not attached (its link is sent, with the reason).
   */
  maxAttachmentBytes: z.number().int().positive().max(100 * 1024 * 1024).default(10 * 1024 * 1024),
  /** All files attached to one outgoing mail together (before the encoding adds about a third). */
  maxAttachmentsPerMailBytes: z.number().int().positive().max(200 * 1024 * 1024).default(25 * 1024 * 1024),
  /** Fetching one file sent from XMPP, redirects included; a slower one is sent as its link. */
  attachmentDownloadTimeoutSeconds: z.number().int().min(1).max(600).default(60),
  /** Larger mails are announced (sender, subject, size) without their content. */
  maxMessageBytes: z.number().int().positive().max(200 * 1024 * 1024).default(30 * 1024 * 1024),
  /** Use IMAP IDLE for instant delivery; false polls every pollIntervalSeconds (servers with a broken IDLE). */
  idle: z.boolean().default(true),
  /** Connect/greeting timeout for both IMAP and SMTP. */
  connectTimeoutMs: z.number().int().min(500).max(120000).default(20000),
  /** Stanza type of delivered mail: most clients show 'chat' best; 'normal' keeps mail-like semantics. */
  messageType: z.enum(['chat', 'normal']).default('chat'),
}).strict().superRefine((options, ctx) => {
  if (options.maxAttachmentsPerMailBytes < options.maxAttachmentBytes) {
    ctx.addIssue({ code: 'custom', path: ['maxAttachmentsPerMailBytes'], message: `must be at least maxAttachmentBytes (${options.maxAttachmentBytes})` });
  }
});

export type EmailOptions = z.infer<typeof emailOptionsSchema>;
