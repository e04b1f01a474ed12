import { describe, expect, it } from "vitest";
import { parseDuration } from "@themis/core/backend";
import { FrameDemuxer } from "../src/frame-demuxer.ts";
import { LineSplitter } from "../src/log-lines.ts";
import { parseMemorySize } from "../src/memory-size.ts";
import { parseVolumeSpec } from "../src/volume-spec.ts";

/** One multiplexed frame as the engine sends it. */
const frame = (stream: number, payload: string): Buffer => {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
};

describe("parsing helpers", () => {
  it("memory sizes", () => {
    expect(parseMemorySize("512m")).toBe(512 * 1024 ** 2);
    expect(parseMemorySize("2g")).toBe(2 * 1024 ** 3);
    expect(parseMemorySize("1.5G")).toBe(1.5 * 1024 ** 3);
    expect(parseMemorySize("64MB")).toBe(64 * 1024 ** 2);
    expect(parseMemorySize("100")).toBe(100);
    expect(parseMemorySize("1x")).toBeUndefined();
    expect(parseMemorySize(-1)).toBeUndefined();
  });

  it("durations", () => {
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("5 days")).toBeUndefined();
    expect(parseDuration(0)).toBeUndefined();
  });

  it("volume specs", () => {
    expect(parseVolumeSpec("/data/:/data:ro")).toEqual({ type: "bind", source: "/data", target: "/data", readOnly: true });
    expect(parseVolumeSpec("cache:/c")).toEqual({ type: "volume", source: "cache", target: "/c", readOnly: false });
    expect(parseVolumeSpec("rel/x:/c")).toHaveProperty("error");
    expect(parseVolumeSpec("/a:/b/../c")).toHaveProperty("error");
  });

  it("demultiplexes frames split anywhere across chunks", () => {
    const stream = Buffer.concat([frame(1, "out one\n"), frame(2, "err\n"), frame(1, "out two\n"), frame(0, "ignored")]);
    // Every split point, including inside headers.
    for (let cut = 0; cut <= stream.length; cut++) {
      let out = "";
      let err = "";
      const demuxer = new FrameDemuxer(
        (c) => (out += c.toString()),
        (c) => (err += c.toString()),
      );
      demuxer.push(stream.subarray(0, cut));
      demuxer.push(stream.subarray(cut));
      expect([out, err], `cut at ${cut}`).toEqual(["out one\nout two\n", "err\n"]);
    }
  });

  it("splits log lines across chunks and multi-byte characters, flushing the last one", () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((l) => lines.push(l), 8);
    const text = Buffer.from("a\r\nbé\nlong line here\nrest");
    for (const byte of text) splitter.push(Buffer.from([byte]));
    splitter.end();
    expect(lines).toEqual(["a", "bé", "long lin", "e here", "rest"]);
  });
});
