// Fleet label patterns (FleetSelector.labelPattern): a glob over the whole label, or a regular
// expression written `/source/flags`. A pattern is user input that a worker runs against every
// cluster label of an account, so both kinds are matched by RE2 (re2js), whose matching time is
// linear in the label: no pattern can make a worker backtrack for minutes. JavaScript's RegExp,
// and glob libraries that compile to it, can (`/^(a+)+$/`, or a glob such as `*a*a*a*a*a*a*a*c`).
// The API validates a pattern with the same function the fleet's selection activity compiles it
// with, so a pattern the API accepted never fails later in a workflow.
import { RE2JS } from 're2js';

/** A pattern that is not a valid glob or regular expression; the message says what is wrong, for the caller. */
export class InvalidLabelPatternError extends Error {
  constructor(readonly pattern: string, why: string) {
    super(`labelPattern ${JSON.stringify(pattern)} is not valid: ${why}`);
    this.name = 'InvalidLabelPatternError';
  }
}

/** The API accepts no longer pattern; RE2 also bounds the compiled program (repeat counts ≤ 1000). */
export const MAX_LABEL_PATTERN_LENGTH = 200;

const REGEX_FORM = /^\/(.+)\/([a-z]*)$/s;

/** JavaScript flags that mean something for a yes/no match of one label, and their RE2 equivalents. */
const FLAGS: Record<string, number> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
  u: 0, // RE2 always matches by code point
};

/** The characters RE2 treats as syntax outside a bracket expression. */
const quote = (ch: string): string => (/[\\^$.|?*+()[\]{}]/.test(ch) ? `\\${ch}` : ch);

/** Glob (`*`, `?`, `[abc]`, `[!a-c]`, `{a,b}`, `\x`) to RE2 syntax, anchored to the whole label. */
function globToRe2(glob: string): string {
  const fail = (why: string): never => { throw new InvalidLabelPatternError(glob, why); };
  if (glob.startsWith('!')) fail('a leading "!" (negation) is not supported; use a /regex/');
  let out = '';
  let braceDepth = 0;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    switch (ch) {
      case '\\':
        if (i + 1 >= glob.length) fail('it ends with a lone "\\"');
        out += quote(glob[++i] as string);
        break;
      case '*':
        if (glob[i + 1] === '(') fail('extglobs such as *(a|b) are not supported; use a /regex/');
        out += '.*';
        break;
      case '?':
        if (glob[i + 1] === '(') fail('extglobs such as ?(a|b) are not supported; use a /regex/');
        out += '.';
        break;
      case '[':
        i = bracket(glob, i, (re) => { out += re; }, fail);
        break;
      case '{':
        braceDepth++;
        out += '(?:';
        break;
      case ',':
        out += braceDepth > 0 ? '|' : ',';
        break;
      case '}':
        if (braceDepth === 0) fail('a "}" has no matching "{"');
        braceDepth--;
        out += ')';
        break;
      case '(':
      case ')':
      case '|':
        fail(`"${ch}" has no meaning in a glob (extglobs are not supported); use a /regex/`);
        break;
      case '.':
        if (braceDepth > 0 && glob[i + 1] === '.') fail('brace ranges such as {1..3} are not supported; use [1-3]');
        out += quote(ch);
        break;
      default:
        out += quote(ch);
    }
  }
  if (braceDepth > 0) fail('a "{" is never closed');
  return `^(?:${out})$`;
}

/** The bracket expression that starts at glob[start]; emits its RE2 form and returns the index of its "]". */
function bracket(glob: string, start: number, emit: (re: string) => void, fail: (why: string) => never): number {
  let i = start + 1;
  let out = '[';
  if (glob[i] === '!' || glob[i] === '^') { out += '^'; i++; }
  // a "]" first in the set is a member, not the end
  if (glob[i] === ']') { out += '\\]'; i++; }
  for (; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === ']') {
      emit(`${out}]`);
      return i;
    }
    if (ch === '[' && glob[i + 1] === ':') {
      // a POSIX class such as [:alpha:], which RE2 knows
      const end = glob.indexOf(':]', i + 2);
      if (end < 0) fail('a "[:" class is never closed');
      out += glob.slice(i, end + 2);
      i = end + 1;
    } else if (ch === '\\') {
      if (i + 1 >= glob.length) fail('it ends with a lone "\\"');
      out += `\\${glob[++i] as string}`.replace(/^\\([A-Za-z0-9])$/, '$1');
    } else {
      out += ch === '[' ? '\\[' : ch;
    }
  }
  return fail('a "[" is never closed');
}

function compile(pattern: string): RE2JS {
  if (pattern.length === 0) throw new InvalidLabelPatternError(pattern, 'it is empty');
  if (pattern.length > MAX_LABEL_PATTERN_LENGTH) {
    throw new InvalidLabelPatternError(pattern.slice(0, 40) + '…', `it is longer than ${MAX_LABEL_PATTERN_LENGTH} characters`);
  }
  const regex = REGEX_FORM.exec(pattern);
  let source: string;
  let flags = 0;
  if (regex) {
    source = regex[1] as string;
    for (const flag of new Set(regex[2])) {
      const re2Flag = FLAGS[flag];
      if (re2Flag === undefined) throw new InvalidLabelPatternError(pattern, `flag "${flag}" is not supported (only i, m, s, u)`);
      flags |= re2Flag;
    }
  } else {
    source = globToRe2(pattern);
  }
  try {
    return RE2JS.compile(source, flags);
  } catch (error) {
    // RE2 has no backreferences or lookaround: those are what can make matching exponential
    throw new InvalidLabelPatternError(pattern, `${regex ? '' : 'as a glob, '}${(error as Error).message}`);
  }
}

/** Why the pattern is refused, or null when it is a valid glob or `/regex/flags`. */
export function labelPatternProblem(pattern: string): string | null {
  try {
    compile(pattern);
    return null;
  } catch (error) {
    if (error instanceof InvalidLabelPatternError) return error.message;
    throw error;
  }
}

/** The label test for a pattern, in time linear in the label; throws InvalidLabelPatternError. */
export function labelMatcher(pattern: string): (label: string) => boolean {
  const compiled = compile(pattern);
  return (label) => compiled.test(label);
}
