/**
 * What the admin commands need from the process beyond one transport's context. The Transport
 * hands it over as `control` in its context; without it there are no admin commands at all.
 */
export interface GatewayControl {
  /** Bare JIDs from the `admins` config key (lower case). */
  admins: readonly string[];
  /** The process's root logger: every logger derived from it follows its level. */
  logger: { level: string };
  /** This transport's component link, for the stats command. */
  link(): { online: boolean; queued: number; backlogBytes: number; congested: boolean };
}

/** What these read of a transport's context (kept structural, so the context may name GatewayControl). */
interface Controlled {
  control?: GatewayControl;
}

export function gatewayControl(ctx: Controlled): GatewayControl | undefined {
  return ctx.control;
}

export function isAdmin(ctx: Controlled, user: string): boolean {
  const lower = user.toLowerCase();
  return gatewayControl(ctx)?.admins.some((admin) => admin === lower) ?? false;
}
