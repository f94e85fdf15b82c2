import net, { type AddressInfo } from 'node:net';

/**
 * A TCP relay of our own in front of a shared service (Redis): cutting it is an
 * outage for whoever connects through it, while the real service keeps running
 * for everyone else. `cut()` drops every open connection and stops listening,
 * so that new connections are refused as by a service that is gone;
 * `restore()` listens again on the same port.
 */
export class TcpRelay {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
  }

  /** Listens on a free loopback port; resolves to that port. */
  async start(): Promise<number> {
    await this.listen(0);
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  /** The outage: every connection through the relay is dropped and new ones are refused. */
  async cut(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** The end of the outage: the same port accepts connections again. */
  async restore(): Promise<void> {
    if (!this.server.listening) await this.listen(this.port);
  }

  async stop(): Promise<void> {
    await this.cut();
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }
}
