/**
 * The Node/V8 flags the gateway runs with: in `npm start`, in the shebang of the
 * `xmpp-gateway` command (src/cli.ts) and in the benchmark's gateway process. A unit test keeps
 * the three in step.
 *
 * --max-semi-space-size=8 caps V8's young generation at 8 MB per semi-space (Node's default grows
 * it to 16 MB, 48 MB of resident memory in all, during a burst such as N users joining one
 * channel, and keeps it). Measured with `npm run bench` at N=1000: RSS per connected user 31 KB
 * with the cap against 30-100 KB without, CPU per relayed stanza within target either way.
 */
export const NODE_FLAGS = ['--max-semi-space-size=8'];
