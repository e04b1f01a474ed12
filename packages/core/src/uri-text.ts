import { REDACTED } from "./backend-config.js";
import { InvalidConfigError } from "./errors.js";

// "scheme://user:password@" or "scheme://token@" anywhere in a text.
const USER_INFO = /([a-z][a-z0-9+.-]*:\/\/)([^@/\s?#]*)@/gi;
// Query parameters that carry credentials, whatever their case or spelling.
const SECRET_PARAM = /pass(word|wd)?$|^pwd$|secret|token|api_?key|credential|signature|^sig$|^auth(orization)?$/i;
const QUERY_PARAM = /([?&])([^=&#\s]+)=([^&#\s]*)/g;

/**
 * `text` with the credentials of every URL in it masked: the password of the user info
 * (`ssh://user:[redacted]@host`, a lone token `https://[redacted]@host`), and the value of
 * query parameters named like a credential (`?password=`, `?token=`, `?secret=`, ...),
 * percent-encoded or not. Text without "://" is returned as is.
 *
 * @example
 * ```ts
 * redactUrls("redis://app:s3cret@db:6379/0?password=A%5FB"); // "redis://app:[redacted]@db:6379/0?password=[redacted]"
 * ```
 */
export function redactUrls(text: string): string {
  if (!text.includes("://")) return text;
  return text
    .replace(USER_INFO, (_m, scheme: string, userInfo: string) => {
      const colon = userInfo.indexOf(":");
      const user = colon >= 0 ? userInfo.slice(0, colon) : "";
      return `${scheme}${user ? `${user}:` : ""}${REDACTED}@`;
    })
    .replace(QUERY_PARAM, (match, sep: string, name: string) => (SECRET_PARAM.test(decodeLeniently(name)) ? `${sep}${name}=${REDACTED}` : match));
}

/** `decodeURIComponent`, or the text as is when it holds a malformed "%" escape. */
export function decodeLeniently(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * `decodeURIComponent` for a backend's `configFromUri`: a malformed "%" escape is an
 * INVALID_CONFIG error naming the config `field`, never a raw URIError, and never quoting
 * the text (it may be a password).
 *
 * @example
 * ```ts
 * configFromUri: (url) => ({ password: decodeUriField(url.password, "password", "my/backend") }),
 * ```
 */
export function decodeUriField(text: string, field: string, backend: string): string {
  try {
    return decodeURIComponent(text);
  } catch (cause) {
    throw new InvalidConfigError(
      `invalid config for backend "${backend}"`,
      [{ path: field, message: 'malformed percent-escape in the URI (write "%25" for a literal "%")' }],
      {
        backend,
        cause: new Error((cause as Error)?.name ?? "URIError"),
      },
    );
  }
}
