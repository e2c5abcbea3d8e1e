// citty ignores options a command does not define (`--epoch 50` would run the default 3
// epochs). checkArgs reads the command line as citty will and refuses anything the command's
// own `args` definition does not name, so every option added to a command is known at once.
import type { ArgDef, ArgsDef } from "citty";
import { UserError } from "../errors.ts";

const usage = (message: string) => new UserError(message, "E_USAGE");
const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (s: string) => s.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const aliases = (def: ArgDef) => ("alias" in def && def.alias !== undefined ? ([] as string[]).concat(def.alias) : []);

/**
 * Throws a one-line usage error (exit 2) for an unknown option, a `--no-` on an option that is
 * not a yes/no one, an option without its value, a value a yes/no or enum option does not
 * take, an argument the command does not take, or a missing required option. Mirrors citty's
 * parser: `--no-X` anywhere before `--` negates X, a value option takes the next argument
 * whatever it looks like (`--batch -4`), `--` ends the options.
 */
export function checkArgs(defs: ArgsDef, argv: string[]): void {
  const spelled = new Map<string, { name: string; def: ArgDef }>(); // every spelling citty accepts
  const names: string[] = [];
  let positionals = 0;
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") { positionals++; continue; }
    names.push(name);
    for (const s of [name, kebab(name), camel(name), ...aliases(def)]) spelled.set(s, { name, def });
  }
  const booleans = names.filter((n) => defs[n].type === "boolean");
  const unknown = (flag: string, candidates: string[]) => {
    const near = closest(flag.replace(/^-+/, ""), candidates);
    return usage(`unknown option ${flag}${near ? `; did you mean --${near}?` : ""}`);
  };

  // citty takes out the negations (before `--`) first; they never serve as a value.
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") { rest.push(...argv.slice(i)); break; }
    if (!arg.startsWith("--no-")) { rest.push(arg); continue; }
    const option = spelled.get(arg.slice(5));
    if (option?.def.type === "boolean") continue;
    if (option) throw usage(`${arg}: --${option.name} is not a yes/no option`);
    throw unknown(arg, booleans.map((n) => `no-${n}`));
  }

  const seen = new Set<string>();
  const extra: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === "--") { extra.push(...rest.slice(i + 1)); break; }
    if (!arg.startsWith("-") || arg === "-") { extra.push(arg); continue; }
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq < 0 ? arg : arg.slice(0, eq);
    const long = flag.startsWith("--");
    const option = long || flag.length === 2 ? spelled.get(flag.slice(long ? 2 : 1)) : undefined; // no -abc groups
    if (!option) throw unknown(flag, names);
    const { name, def } = option;
    seen.add(name);
    const inline = eq < 0 ? undefined : arg.slice(eq + 1);
    if (def.type === "boolean") {
      if (inline !== undefined && inline !== "true" && inline !== "false") throw usage(`--${name} takes no value (or =true, =false), got "${arg}"`);
      continue;
    }
    if (inline === undefined && i + 1 >= rest.length) throw usage(`--${name} needs a value${def.valueHint ? ` (${def.valueHint})` : ""}`);
    const value = inline ?? rest[++i];
    const choices = def.type === "enum" ? def.options ?? [] : [];
    if (choices.length > 0 && !choices.includes(value)) throw usage(`--${name} must be one of ${choices.join(", ")}, got "${value}"`);
  }
  if (extra.length > positionals) {
    const arg = extra[positionals];
    const near = closest(arg, names);
    throw usage(`unexpected argument "${arg}"${near ? `; did you mean --${near}?` : ""}`);
  }
  for (const name of names) {
    if (defs[name].required && defs[name].default === undefined && !seen.has(name)) throw usage(`--${name} is required`);
  }
}

/**
 * The candidate a misspelling most likely meant: fewest edits (a swap of neighbours counts
 * as one; at most 1 for short words, 2 for longer ones), else one that starts the other
 * (`--batchsize` → batch); undefined when nothing is that close.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) { best = c; bestDistance = d; }
  }
  if (best !== undefined && bestDistance <= (word.length <= 4 ? 1 : 2)) return best;
  return candidates.find((c) => {
    const [a, b] = c.length < word.length ? [c, word] : [word, c];
    return a.length >= 3 && b.startsWith(a);
  });
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}
