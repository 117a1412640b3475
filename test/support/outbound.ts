import { GatewayError } from '../../src/core/errors';
import { createOutboundPolicy, type OutboundPolicy, type PolicyOptions } from '../../src/core/outbound-policy';

/** Every test server runs on loopback, which the product refuses by default: tests allow it explicitly. */
export const LOOPBACK_RULES = { allow: ['127.0.0.0/8', '::1'], deny: [] };

export function allowLoopback(options: PolicyOptions = {}): OutboundPolicy {
  return createOutboundPolicy(LOOPBACK_RULES, options);
}

/** What the core's `credentials` service answers for a user who never registered. */
export async function noRegistration(): Promise<undefined> {
  return undefined;
}

/** The GatewayError a refused connection attempt rejects with (fails the test when it resolves). */
export async function refusal(promise: Promise<unknown>): Promise<GatewayError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('expected the connection to be refused');
}
