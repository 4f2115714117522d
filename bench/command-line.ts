/**
 * Command-line parsing shared by the benchmark scripts: node:util parseArgs with errors that
 * name the option and the fix, printed as one line instead of a stack trace.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** An invalid command line, which exitOnUsageError prints as a message. */
export class UsageError extends Error {}

type OptionDefinitions = NonNullable<ParseArgsConfig['options']>;

/**
 * Joins `--name -5` into `--name=-5` for options that take a value, because parseArgs reads a
 * value that starts with a dash as a missing value. The range check then reports the number.
 */
function joinNegativeNumbers(args: string[], options: OptionDefinitions): string[] {
  const joined: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : null;
    const next = args[i + 1];
    if (name !== null && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      joined.push(`--${name}=${next}`);
      i += 1;
    } else {
      joined.push(args[i]);
    }
  }
  return joined;
}

/** Parses process.argv strictly and turns parseArgs errors into a UsageError that lists the accepted options. */
export function parseCommandLine<T extends { options: OptionDefinitions }>(config: T): ReturnType<typeof parseArgs<T>> {
  const args = joinNegativeNumbers(process.argv.slice(2), config.options);
  try {
    // parseArgs is strict by default, so unknown options and positional arguments are errors.
    return parseArgs({ ...config, args } as T);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) throw error;

    const accepted = Object.keys(config.options).map((name) => `--${name}`).join(', ');
    const message = (error as Error).message.split('\n')[0].replace(/\.$/, '');
    throw new UsageError(`${message}. The accepted options are ${accepted}.`);
  }
}

/**
 * Runs `parse` and, when it throws a UsageError, prints the message to stderr and exits with
 * status 2. Call it only before the script starts any server or child process.
 */
export function exitOnUsageError<R>(parse: () => R): R {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(2);
  }
}
