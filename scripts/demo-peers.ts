/**
 * The demo's other side: an IRC bot in #demo and a phone that answers SMS, so that a user trying
 * the gateway sees replies come back through it.
 */
import { connect, type Socket } from 'node:net';
import type { FakeTwilio } from '../test/harness/fake-twilio';

/** A minimal IRC client: it greets whoever joins #demo and answers lines that name it. */
export class DemoBot {
  private buffer = '';

  private constructor(private readonly socket: Socket, readonly nick: string, readonly channel: string) {}

  static async start(port: number, nick: string, channel: string): Promise<DemoBot> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.on('error', () => undefined);
    const bot = new DemoBot(socket, nick, channel);
    const joined = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => bot.read(chunk.toString('utf8'), resolve));
    });
    bot.send(`NICK ${nick}`);
    bot.send(`USER ${nick} 0 * :the gateway demo's bot`);
    await joined;
    return bot;
  }

  private send(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  private read(text: string, joined: () => void): void {
    this.buffer += text;
    let end: number;
    while ((end = this.buffer.indexOf('\n')) !== -1) {
      const line = this.buffer.slice(0, end).replace(/\r$/, '');
      this.buffer = this.buffer.slice(end + 1);
      const match = /^(?::(\S+) )?(\S+)(?: (.*))?$/.exec(line);
      if (!match) continue;
      const [, prefix = '', command, rest = ''] = match;
      const from = prefix.split('!')[0];
      const trailing = rest.includes(' :') ? rest.slice(rest.indexOf(' :') + 2) : rest.startsWith(':') ? rest.slice(1) : '';
      if (command === 'PING') this.send(`PONG :${trailing || rest}`);
      else if (command === '001') this.send(`JOIN ${this.channel}`);
      else if (command === '366') joined();
      else if (command === 'JOIN' && from !== this.nick) this.say(`Welcome, ${from}! This is IRC, reached from XMPP through the gateway. Say "${this.nick}: hello".`);
      else if (command === 'PRIVMSG' && from !== this.nick && rest.startsWith(this.channel) && trailing.toLowerCase().includes(this.nick)) {
        this.say(`${from}: you said "${trailing.replace(/[\r\n\0]/g, ' ').slice(0, 200)}"`);
      }
    }
  }

  private say(text: string): void {
    this.send(`PRIVMSG ${this.channel} :${text}`);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end('QUIT :demo over\r\n');
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }
}

/**
 * Every SMS sent through the Twilio-compatible endpoint is printed, and its recipient answers
 * with a signed webhook to the gateway, as a phone's reply through Twilio would arrive.
 */
export function answerSms(twilio: FakeTwilio, log: (line: string) => void): () => void {
  let handled = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy || handled >= twilio.messages.length) return;
    busy = true;
    void (async () => {
      while (handled < twilio.messages.length) {
        const sms = twilio.messages[handled++];
        log(`SMS from ${sms.from} to ${sms.to}: ${JSON.stringify(sms.body)}`);
        // A reply is delivered to the sender's number only if that number is registered here.
        if (!twilio.numberOf(sms.from)?.number.smsUrl) continue;
        const reply = await twilio.deliverSms({ from: sms.to, to: sms.from, body: `Got your SMS: ${sms.body.slice(0, 100)}` }).catch((err: Error) => ({ status: 0, body: err.message }));
        if (reply.status !== 200) log(`the gateway refused the reply SMS webhook (${reply.status} ${reply.body})`);
      }
      busy = false;
    })();
  }, 250);
  return () => clearInterval(timer);
}
