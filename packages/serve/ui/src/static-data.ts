// Data files of a static export, loaded as classic scripts. A page opened from disk
// (file://) may not fetch() files beside it, nor load module scripts: Chromium and
// Firefox block both for the null origin. A script element may load them, so each data
// file is one call `__themisData("key", <JSON>)`; its JSON is written by JSON.stringify
// on the exporter's side and shown as text here, like the API's answers.

type Receiver = (key: string, value: unknown) => void;
const waiting = new Map<string, (value: unknown) => void>();
const host = globalThis as unknown as { __themisData?: Receiver };
host.__themisData = (key, value) => {
  waiting.get(key)?.(value);
  waiting.delete(key);
};

/** The value of the data file `data/KEY.js` (rejects when the export has no such file). */
export function loadData<T>(key: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const script = document.createElement("script");
    script.src = `data/${key}.js`;
    waiting.set(key, resolve as (value: unknown) => void);
    // `load` fires after the script ran: by then it has called __themisData, or it was not a data file.
    script.onload = () => {
      script.remove();
      if (waiting.delete(key)) reject(new Error(`data file ${key} is not a Themis export file`));
    };
    script.onerror = () => {
      script.remove();
      waiting.delete(key);
      reject(new Error(`not in this export (data/${key}.js is missing)`));
    };
    document.head.append(script);
  });
}
