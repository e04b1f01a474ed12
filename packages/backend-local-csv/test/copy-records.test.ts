import { describe, expect, it } from "vitest";
import { IdSet } from "@themis/core/backend";
import { RecordCopier } from "../src/copy-records.js";

/** Run the copier over `text` cut into chunks of `size` bytes. */
function copy(text: string, size: number, id: string, replacement: string | undefined, newline: "\n" | "\r\n"): { out: string; found: boolean; ids: IdSet } {
  const ids = new IdSet();
  const copier = new RecordCopier({ id, ...(replacement === undefined ? {} : { replacement: Buffer.from(replacement) }) }, ids, newline);
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(...copier.feed(bytes.subarray(i, i + size)));
  parts.push(...copier.end());
  return { out: Buffer.concat(parts).toString(), found: copier.found, ids };
}

// Quoted cells holding commas, quotes, line endings, and a first cell that looks like an id.
const lf = '_row_id,a,b\nr1,"x, ""y""\nr2,fake",1\n"r2","two",2\nr3,"é\r\nz",3\nr22,x,4\n';

describe("RecordCopier (a rewrite's byte copy)", () => {
  it("drops exactly the row with the id, whatever the chunk size, keeping every other byte", () => {
    for (let size = 1; size <= lf.length; size++) {
      const { out, found, ids } = copy(lf, size, "r2", undefined, "\n");
      expect({ size, out, found }).toEqual({ size, out: '_row_id,a,b\nr1,"x, ""y""\nr2,fake",1\nr3,"é\r\nz",3\nr22,x,4\n', found: true });
      expect(["r1", "r3", "r22"].map((id) => ids.has(id))).toEqual(["maybe", "maybe", "maybe"]);
      expect(ids.has("r2")).toBe("no");
    }
  });

  it("replaces the row in place, and says when the id is not there", () => {
    for (let size = 1; size <= lf.length; size += 3) {
      const replaced = copy(lf, size, "r3", "r3,new,9\n", "\n");
      expect(replaced.out).toBe('_row_id,a,b\nr1,"x, ""y""\nr2,fake",1\n"r2","two",2\nr3,new,9\nr22,x,4\n');
      // The replaced row is still there: its id stays known to the writer.
      expect(["r1", "r2", "r3", "r22"].map((id) => replaced.ids.has(id))).toEqual(["maybe", "maybe", "maybe", "maybe"]);
      expect(copy(lf, size, "r9", undefined, "\n")).toMatchObject({ out: lf, found: false });
    }
  });

  it("ends every record with the file's line ending (a line added by hand may end the other way), never touching quoted ones", () => {
    const mixed = '_row_id,a\r\nr1,"one\r\ntwo"\r\nr2,"three\nfour"\nr3,x\r\n';
    for (let size = 1; size <= mixed.length; size++) {
      expect(copy(mixed, size, "r3", undefined, "\r\n").out).toBe('_row_id,a\r\nr1,"one\r\ntwo"\r\nr2,"three\nfour"\r\n');
      expect(copy(mixed.replaceAll("\r\n", "\n").replace("x\n", "x\r\n"), size, "r1", undefined, "\n").out).toBe('_row_id,a\nr2,"three\nfour"\nr3,x\n');
    }
  });
});
