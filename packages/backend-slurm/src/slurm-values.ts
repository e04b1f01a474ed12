/**
 * Checks of the values that end up in `#SBATCH` lines of a generated batch script. A batch
 * script is a shell script: a newline in any of them would start a new command, and a
 * directive the executor owns (`--output`, `--export`...) would silently break it. So every
 * value is checked against SLURM's own grammar, strictly, before a script is ever written.
 */

/** Partition, account, QOS and reservation names: SLURM names, comma lists for partitions. */
export const SLURM_NAME = /^[A-Za-z0-9_.+-]+$/;
export const SLURM_NAME_LIST = /^[A-Za-z0-9_.+-]+(,[A-Za-z0-9_.+-]+)*$/;

/**
 * `--mem` values: a whole number with an optional unit K, M, G or T (SLURM's default unit
 * is megabytes), e.g. "512M", "4G", "2000".
 */
const MEMORY = /^[1-9]\d*[KMGT]?$/i;

/** True when `value` is a `--mem` SLURM accepts. */
export function isSlurmMemory(value: string): boolean {
  return MEMORY.test(value);
}

// sbatch --time: "minutes", "minutes:seconds", "hours:minutes:seconds", "days-hours",
// "days-hours:minutes", "days-hours:minutes:seconds", or UNLIMITED / INFINITE.
const TIME_FORMS = [/^\d+$/, /^\d+:\d{1,2}$/, /^\d+:\d{1,2}:\d{1,2}$/, /^\d+-\d{1,2}$/, /^\d+-\d{1,2}:\d{1,2}$/, /^\d+-\d{1,2}:\d{1,2}:\d{1,2}$/];

/** True when `value` is a `--time` SLURM accepts (minimum granularity: one minute). */
export function isSlurmTime(value: string): boolean {
  if (/^(UNLIMITED|INFINITE)$/i.test(value)) return true;
  return TIME_FORMS.some((form) => form.test(value)) && value !== "0";
}

/**
 * Milliseconds of a `--time` value (undefined for UNLIMITED): "M", "M:S", "H:M:S", "D-H",
 * "D-H:M", "D-H:M:S", as sbatch reads them.
 */
export function slurmTimeMs(value: string): number | undefined {
  const match = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(value);
  if (!match) return undefined;
  const [days, a, b, c] = [match[1], match[2], match[3], match[4]].map((v) => (v === undefined ? undefined : Number(v)));
  // Without days: M, M:S or H:M:S. With days: D-H, D-H:M or D-H:M:S.
  const [h, m, sec] = days !== undefined ? [a ?? 0, b ?? 0, c ?? 0] : c !== undefined ? [a ?? 0, b ?? 0, c] : [0, a ?? 0, b ?? 0];
  return ((((days ?? 0) * 24 + h) * 60 + m) * 60 + sec) * 1000;
}

/** `--time` for a number of milliseconds: whole minutes, rounded up (SLURM counts minutes). */
export function minutesFor(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 60_000)));
}

/**
 * Options the executor writes itself (or that have a config field of their own): an extra
 * directive may not set them, or the executor would lose track of its job's files, name,
 * environment or limits.
 */
const OWNED: Readonly<Record<string, string>> = {
  output: "the executor writes it (stdout goes to the job folder)",
  error: "the executor writes it (stderr goes to the job folder)",
  input: "the executor writes it (a job's stdin goes to the job folder)",
  "job-name": "the executor names its jobs (jobNamePrefix)",
  export: "the executor writes it (use env, or a job's env / inheritEnv)",
  "export-file": "the executor writes the environment (use env)",
  chdir: "use cwd",
  wrap: "the executor writes the batch script",
  array: "one SLURM job per Themis job (see the README on job arrays)",
  parsable: "a command-line flag of sbatch, not a job option",
  wait: "the executor polls itself",
  "open-mode": "the executor writes it",
  partition: "use the partition field",
  account: "use the account field",
  qos: "use the qos field",
  reservation: "use the reservation field",
  nodes: "use the nodes field",
  ntasks: "use the ntasks field",
  "cpus-per-task": "use the cpusPerTask field",
  mem: "use the memory field",
  time: "use the timeLimit field",
};

// A long option, optionally "=value"; the value has no whitespace, quotes, backslashes or
// control characters (sbatch splits #SBATCH lines itself, and nothing here is a shell word).
// biome-ignore lint/suspicious/noControlCharactersInRegex: directives with control characters are refused
const DIRECTIVE = /^--([a-z][a-z0-9-]*)(=[^\s"'\\\x00-\x1f\x7f]+)?$/;

/**
 * Why an extra `#SBATCH` directive is refused, or undefined when it is fine. Only the long
 * form is accepted (`--gres=gpu:1`, not `-G 1`) so that the option name can be checked.
 */
export function directiveProblem(directive: string): string | undefined {
  const match = DIRECTIVE.exec(directive);
  if (!match) {
    return 'expected one long sbatch option such as "--gres=gpu:1" or "--exclusive": "--name" or "--name=value", no spaces, quotes, backslashes or line breaks';
  }
  const name = match[1] ?? "";
  const owned = OWNED[name];
  return owned === undefined ? undefined : `--${name} cannot be set here: ${owned}`;
}

/**
 * Paths written into `#SBATCH` lines (the job folder under workDir): absolute, and free of
 * whitespace, quotes, backslashes, control characters and "%" (sbatch expands "%j" and the
 * like in --output paths).
 */
export function pathProblem(value: string): string | undefined {
  if (!value.startsWith("/")) return "must be an absolute path (it must mean the same folder on every node)";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: values with control characters are refused
  if (/[\s"'\\%\x00-\x1f\x7f]/.test(value))
    return 'must not contain whitespace, quotes, backslashes, "%" or control characters (it is written into #SBATCH lines)';
  return undefined;
}

/** Environment variable names a POSIX shell can `export`. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
