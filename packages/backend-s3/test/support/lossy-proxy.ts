import { type IncomingMessage, type Server, createServer, request } from "node:http";

/**
 * An HTTP proxy in front of the S3 server that forwards every request but, for the first
 * `drops` requests `shouldDrop` picks, cuts the connection once the server has answered:
 * the write happened, the client never hears of it (a lost response).
 */
export class LossyProxy {
  readonly endpoint: string;
  readonly dropped: string[] = [];
  readonly #server: Server;

  private constructor(server: Server, endpoint: string) {
    this.#server = server;
    this.endpoint = endpoint;
  }

  static async start(target: string, shouldDrop: (req: IncomingMessage) => boolean, drops = 1): Promise<LossyProxy> {
    const upstream = new URL(target);
    let left = drops;
    let proxy: LossyProxy;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const forward = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
          const drop = left > 0 && shouldDrop(req);
          if (drop) {
            left--;
            proxy.dropped.push(`${req.method} ${req.url}`);
            answer.resume();
            answer.on("end", () => req.socket.destroy());
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        });
        forward.on("error", () => req.socket.destroy());
        forward.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    proxy = new LossyProxy(server, `http://127.0.0.1:${port}`);
    return proxy;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
