/** A test service shared by the vitest projects of one run; see {@link shareService}. */
export interface ServiceLease<T> {
  readonly service: T;
  /** Give the lease back: the last one stops the service. */
  release(): Promise<void>;
}

interface Shared<T> {
  started: Promise<T>;
  stop: (service: T) => Promise<void>;
  users: number;
}

/**
 * One instance of a test service (a server, an engine) for every vitest project of a run
 * that asks for it under the same `key`. Vitest runs the global setups of all projects in its
 * one main process, so the first call starts the service, later calls share it (each test
 * keeps to its own bucket, container or table), and the last {@link ServiceLease.release}
 * stops it. A start that fails is not kept: the next call tries again.
 *
 * @example
 * ```ts
 * // test/global-setup.ts of two projects
 * const lease = await shareService("radosgw", () => Radosgw.start(), (server) => server.stop());
 * project.provide("s3Server", lease.service.info);
 * return () => lease.release();
 * ```
 */
export async function shareService<T>(key: string, start: () => Promise<T>, stop: (service: T) => Promise<void>): Promise<ServiceLease<T>> {
  const registry = globalThis as unknown as Record<symbol, Shared<T> | undefined>;
  const slot = Symbol.for(`@themis/conformance/shared-service/${key}`);
  let shared = registry[slot];
  if (!shared) {
    shared = { started: start(), stop, users: 0 };
    registry[slot] = shared;
  }
  shared.users += 1;
  const entry = shared;
  let service: T;
  try {
    service = await entry.started;
  } catch (error) {
    entry.users -= 1;
    if (registry[slot] === entry) registry[slot] = undefined;
    throw error;
  }
  let released = false;
  return {
    service,
    async release() {
      if (released) return;
      released = true;
      entry.users -= 1;
      if (entry.users > 0) return;
      if (registry[slot] === entry) registry[slot] = undefined;
      await entry.stop(service);
    },
  };
}
