import { constants } from "node:os";
import type { Duplex } from "node:stream";
import { setTimeout as delay } from "node:timers/promises";
import { OutputCapture, type CapturedOutput } from "@themis/core";
import type Docker from "dockerode";
import tar from "tar-stream";
import { type EngineConnection, engineError, statusOf } from "./engine.js";
import { FrameDemuxer } from "./frame-demuxer.js";
import { LineSplitter } from "./log-lines.js";

/** One container to run to completion. */
export interface ContainerRunSpec {
  readonly createOptions: Docker.ContainerCreateOptions;
  /** Written to the program's stdin, which is then closed. */
  readonly stdin?: string | Uint8Array;
  /** Tar archives unpacked at "/", in order, before the container starts (module files, runner, job). */
  readonly archives?: readonly Buffer[];
  /** A file read back from the container after it exits (the module runner's result). */
  readonly resultPath?: string;
  readonly maxOutputBytes: number;
  /** Called with every complete line of output, as it arrives. */
  readonly onLine?: (stream: "stdout" | "stderr", line: string, containerId: string) => void;
  /** Aborting stops the container: SIGTERM, `killGraceMs` to exit, then SIGKILL. */
  readonly signal: AbortSignal;
  readonly killGraceMs: number;
  /** Remove the container at the end (whatever happened). */
  readonly remove: boolean;
  /** Told about the container as soon as it exists and when it is gone, so `close` can find it. */
  readonly track?: { add(id: string): void; delete(id: string): void };
}

/** How a container run ended. */
export interface ContainerRunOutcome {
  readonly containerId: string | undefined;
  /** The main process' exit code; null when it never started or was killed by a signal. */
  readonly exitCode: number | null;
  /** The signal that ended it ("SIGKILL"), when it was stopped or killed for memory. */
  readonly termSignal: string | null;
  /** True when the kernel killed it for exceeding its memory limit. */
  readonly oomKilled: boolean;
  /** True when the signal aborted the run (the container was stopped or never started). */
  readonly stopped: boolean;
  readonly stdout: CapturedOutput;
  readonly stderr: CapturedOutput;
  /** Content of `resultPath` when it existed after the run. */
  readonly result: Buffer | undefined;
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, number]) => [number, name]));
// After the main process exits, the engine closes the attach stream; if it lags, stop waiting.
const OUTPUT_DRAIN_MS = 5000;

/** The single file of a tar stream (what getArchive returns for a file path). */
async function readSingleFile(stream: NodeJS.ReadableStream): Promise<Buffer | undefined> {
  const extract = tar.extract();
  let content: Buffer | undefined;
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, entry, next) => {
      const chunks: Buffer[] = [];
      entry.on("data", (chunk: unknown) => chunks.push(chunk as Buffer));
      entry.on("end", () => {
        if (content === undefined && header.type === "file") content = Buffer.concat(chunks);
        next();
      });
      entry.resume();
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  stream.pipe(extract);
  await done;
  return content;
}

/**
 * Create, start and wait for one container, capturing its demultiplexed output (bounded),
 * feeding stdin, and reading back a result file. When `signal` aborts, the container gets
 * SIGTERM, then SIGKILL after the grace period. With `remove`, the container is removed in
 * every case, including failures of this function itself.
 */
export async function runContainer(connection: EngineConnection, spec: ContainerRunSpec): Promise<ContainerRunOutcome> {
  const { docker, address } = connection;
  const { signal } = spec;
  const stdout = new OutputCapture(spec.maxOutputBytes);
  const stderr = new OutputCapture(spec.maxOutputBytes);
  let container: Docker.Container | undefined;
  let attached: Duplex | undefined;
  let outcome: Omit<ContainerRunOutcome, "stdout" | "stderr" | "containerId"> = {
    exitCode: null,
    termSignal: null,
    oomKilled: false,
    stopped: true,
    result: undefined,
  };
  if (signal.aborted) return { ...outcome, containerId: undefined, stdout: stdout.result(), stderr: stderr.result() };

  const stdoutLines = spec.onLine ? new LineSplitter((line) => spec.onLine!("stdout", line, container!.id)) : undefined;
  const stderrLines = spec.onLine ? new LineSplitter((line) => spec.onLine!("stderr", line, container!.id)) : undefined;

  try {
    // Not abortable on purpose: an aborted create request may still create a container we
    // would then not know about. It is quick; the signal is checked right after.
    try {
      container = await docker.createContainer(spec.createOptions);
    } catch (error) {
      throw engineError(error, `creating a container from "${spec.createOptions.Image}"`, address);
    }
    spec.track?.add(container.id);
    for (const archive of spec.archives ?? []) {
      try {
        await container.putArchive(archive, { path: "/" });
      } catch (error) {
        throw engineError(error, "copying the job files into the container", address);
      }
    }
    const withStdin = spec.stdin !== undefined;
    try {
      attached = (await container.attach({ stream: true, stdin: withStdin, stdout: true, stderr: true, hijack: withStdin })) as unknown as Duplex;
    } catch (error) {
      throw engineError(error, "attaching to the container", address);
    }
    const demuxer = new FrameDemuxer(
      (chunk) => {
        stdout.push(chunk);
        stdoutLines?.push(chunk);
      },
      (chunk) => {
        stderr.push(chunk);
        stderrLines?.push(chunk);
      },
    );
    const outputEnded = new Promise<void>((resolve) => {
      attached!.on("data", (chunk: Buffer) => demuxer.push(chunk));
      attached!.once("end", resolve);
      attached!.once("close", resolve);
      // A program that exits without reading stdin breaks our write (EPIPE): not a failure.
      attached!.once("error", () => resolve());
    });

    if (signal.aborted) return { ...outcome, containerId: container.id, stdout: stdout.result(), stderr: stderr.result() };
    try {
      await container.start();
    } catch (error) {
      throw engineError(error, `starting the container (image "${spec.createOptions.Image}")`, address);
    }
    if (withStdin) attached.end(Buffer.from(spec.stdin as Uint8Array | string));

    // After start: "not-running" answers at once if the job already exited. (A "next-exit"
    // wait sent before start would hang if the engine registered it after a quick exit.)
    const exited = container.wait() as Promise<{ StatusCode: number }>;
    let stoppedBySignal = false;
    const stop = (): void => {
      stoppedBySignal = true;
      void stopContainer(container!, exited, spec.killGraceMs);
    };
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
    let status: number;
    try {
      status = (await exited).StatusCode;
    } catch (error) {
      throw engineError(error, "waiting for the container", address);
    } finally {
      signal.removeEventListener("abort", stop);
    }
    const drainLimit = new AbortController();
    await Promise.race([outputEnded, delay(OUTPUT_DRAIN_MS, undefined, { signal: drainLimit.signal }).catch(() => undefined)]);
    drainLimit.abort();
    stdoutLines?.end();
    stderrLines?.end();

    let oomKilled = false;
    if (status !== 0) {
      // Only failures pay for the extra call: was it the memory limit?
      try {
        oomKilled = (await container.inspect()).State.OOMKilled === true;
      } catch {
        // Inspect failing leaves the exit code as the only information.
      }
    }
    const killed = (stoppedBySignal || oomKilled) && status > 128 ? SIGNAL_NAMES.get(status - 128) : undefined;
    let result: Buffer | undefined;
    if (spec.resultPath && !stoppedBySignal) {
      try {
        result = await readSingleFile(await container.getArchive({ path: spec.resultPath }));
      } catch (error) {
        if (statusOf(error) !== 404) throw engineError(error, "reading the job's result", address);
      }
    }
    outcome = {
      exitCode: killed ? null : status,
      termSignal: killed ?? null,
      oomKilled,
      stopped: stoppedBySignal,
      result,
    };
    return { ...outcome, containerId: container.id, stdout: stdout.result(), stderr: stderr.result() };
  } finally {
    attached?.destroy();
    if (container) {
      if (spec.remove) {
        // Never let a failed removal hide the job's own outcome or error; the labels let
        // removeLeftoverContainers() find what an unreachable engine kept.
        await container.remove({ force: true, v: true }).catch(() => undefined);
      } else if (outcome.stopped) {
        // Kept for inspection, but never left running.
        await container.kill({ signal: "SIGKILL" }).catch(() => undefined);
      }
      spec.track?.delete(container.id);
    }
  }
}

/** SIGTERM, up to `graceMs` for the container to exit, then SIGKILL. */
async function stopContainer(container: Docker.Container, exited: Promise<unknown>, graceMs: number): Promise<void> {
  try {
    await container.kill({ signal: "SIGTERM" });
  } catch {
    // Not running any more (404/409), or the engine refused: SIGKILL below settles it.
  }
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs);
  });
  const exitedInTime = await Promise.race([
    exited.then(
      () => true,
      () => true,
    ),
    graceOver,
  ]);
  // Do not keep the process alive for the rest of the grace period.
  clearTimeout(timer);
  if (exitedInTime) return;
  await container.kill({ signal: "SIGKILL" }).catch(() => undefined);
}
