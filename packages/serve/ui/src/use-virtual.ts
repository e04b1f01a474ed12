import { useLayoutEffect, useReducer, useState } from "preact/hooks";
import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from "@tanstack/virtual-core";

/** Fixed row height in px (one line per cell: long values are cut, the side panel shows them whole). */
export const ROW_HEIGHT = 28;

/**
 * A @tanstack/virtual-core virtualizer over a scroll element: only the rows in view (plus
 * a few) are rendered, whatever the table's size.
 */
export function useVirtual(count: number, scrollElement: () => HTMLElement | null): Virtualizer<HTMLElement, HTMLElement> {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const options = {
    count,
    getScrollElement: scrollElement,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    scrollToFn: elementScroll,
    observeElementRect,
    observeElementOffset,
    onChange: () => rerender(0),
  };
  const [virtualizer] = useState(() => new Virtualizer<HTMLElement, HTMLElement>(options));
  virtualizer.setOptions(options);
  useLayoutEffect(() => virtualizer._didMount(), []);
  useLayoutEffect(() => virtualizer._willUpdate());
  return virtualizer;
}
