/**
 * Whether this page is a static export (`themis serve --export DIR`, opened from disk):
 * the exporter's index.html says so on its root element. The served app asks the JSON API;
 * an export reads data files written beside it and has no live updates or downloads.
 */
export const STATIC_EXPORT = document.documentElement.dataset.themis === "export";
