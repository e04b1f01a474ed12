/**
 * Fault injection for the stand-in Box server: tests add rules over its control endpoint
 * to make matching requests fail, stall or race, the way the real service sometimes does.
 */
export interface FaultRule {
  /** Who added the rule (a test file): clearing with an owner removes only its rules. */
  owner?: string;
  /** HTTP method to match; any when absent. */
  method?: string;
  /** Regular expression matched against the request path (without the query). */
  path: string;
  /** Let this many matching requests through before the rule applies. Default 0. */
  skip?: number;
  /** How many matching requests the rule applies to. Default 1 (`gate` for a gate). */
  times?: number;
  /** Answer with this status and a Box error body instead of handling the request. */
  status?: number;
  /** Box error code for the body; derived from the status when absent. */
  code?: string;
  /** Value of the `retry-after` header sent with the status. */
  retryAfter?: number;
  /** With `status`: handle the request first (it takes effect), then answer with the status. */
  afterHandling?: boolean;
  /** Serve only the first half of the response body (a torn download). */
  truncate?: boolean;
  /** Serve the headers and half of the body, then send nothing more (a stalled download). */
  stall?: boolean;
  /**
   * Hold matching requests until this many of them are waiting, then let them all
   * proceed at once (makes two clients read the same etag before either writes).
   */
  gate?: number;
}

/** What a rule decided for one request. */
export interface FaultAction {
  status?: number;
  code?: string;
  retryAfter?: number;
  truncate?: boolean;
  stall?: boolean;
  afterHandling?: boolean;
}

interface LiveRule extends FaultRule {
  seen: number;
  applied: number;
  waiting: Array<() => void>;
}

const CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  412: "precondition_failed",
  429: "rate_limit_exceeded",
  500: "internal_server_error",
  502: "bad_gateway",
  503: "unavailable",
};

export class Faults {
  #rules: LiveRule[] = [];

  add(rule: FaultRule): void {
    new RegExp(rule.path); // fail early on a bad pattern
    this.#rules.push({ ...rule, seen: 0, applied: 0, waiting: [] });
  }

  /** Remove the rules of `owner` (every rule without one), releasing requests they hold. */
  clear(owner?: string): void {
    const gone = this.#rules.filter((r) => owner === undefined || r.owner === owner);
    for (const r of gone) for (const release of r.waiting.splice(0)) release();
    this.#rules = this.#rules.filter((r) => !gone.includes(r));
  }

  /** Applies the first matching rule to a request; resolves when the request may go on. */
  async apply(method: string, path: string): Promise<FaultAction | undefined> {
    for (const rule of this.#rules) {
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (!new RegExp(rule.path).test(path)) continue;
      rule.seen += 1;
      if (rule.seen <= (rule.skip ?? 0)) continue;
      if (rule.applied >= (rule.times ?? rule.gate ?? 1)) continue;
      rule.applied += 1;
      if (rule.gate !== undefined) {
        await new Promise<void>((resolve) => {
          rule.waiting.push(resolve);
          if (rule.waiting.length >= rule.gate!) for (const release of rule.waiting.splice(0)) release();
        });
        return undefined;
      }
      return {
        ...(rule.status !== undefined && { status: rule.status, code: rule.code ?? CODES[rule.status] ?? "error" }),
        ...(rule.retryAfter !== undefined && { retryAfter: rule.retryAfter }),
        ...(rule.truncate && { truncate: true }),
        ...(rule.stall && { stall: true }),
        ...(rule.afterHandling && { afterHandling: true }),
      };
    }
    return undefined;
  }
}
