import { type Socket, createServer } from "node:net";

/** A TCP server on a free loopback port that accepts connections and never answers. */
export interface SilentServer {
  port: number;
  /** Connections accepted so far (a test can wait until the client really connected). */
  readonly connections: number;
  /** Drop every connection and stop listening. */
  close(): Promise<void>;
}

/**
 * Start a {@link SilentServer}: the worst peer a network client meets (a hung server, a
 * proxy that lost its upstream, the wrong service on a port). TCP handshakes succeed, so
 * a client's connect timeout does not fire; every request then waits. Backends use it to
 * prove that each network operation has a deadline.
 *
 * @example
 * ```ts
 * const server = await startSilentServer();
 * await expect(Project.open("p", `redis://127.0.0.1:${server.port}?connectTimeout=500`)).rejects.toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE" });
 * await server.close();
 * ```
 */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
    // Read and discard what the client sends, so its writes never block.
    socket.resume();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("silent server: no TCP address");
  return {
    port: address.port,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
