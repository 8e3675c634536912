import { tokenize } from '@humanwhocodes/momoa';

/**
 * Finds the first member name that occurs twice in one JSON object. `JSON.parse` keeps the last of
 * duplicate members silently (RFC 8259 §4 leaves the result unpredictable), so `{"scopes":[..],
 * "scopes":[..]}` would mean what one reader sees and not another. Walks momoa's token stream with an
 * explicit stack: no recursion, linear in the text, so a deeply nested body cannot exhaust the stack.
 * Names are compared decoded (`"sc\u006fpes"` is `"scopes"`). The text must already be valid JSON.
 *
 * Returns the path of the duplicate member (object keys and array indexes), or undefined.
 */
export function findDuplicateMember(text: string): (string | number)[] | undefined {
  type Frame = { kind: 'object'; names: Set<string>; name: string | undefined; expectName: boolean } | { kind: 'array'; index: number };
  const stack: Frame[] = [];
  const path = () => stack.map((f) => (f.kind === 'object' ? (f.name as string) : f.index));
  for (const token of tokenize(text, { mode: 'json', ranges: true })) {
    const top = stack.at(-1);
    switch (token.type) {
      case 'LBrace':
        stack.push({ kind: 'object', names: new Set(), name: undefined, expectName: true });
        break;
      case 'LBracket':
        stack.push({ kind: 'array', index: 0 });
        break;
      case 'RBrace':
      case 'RBracket':
        stack.pop();
        break;
      case 'Comma':
        if (top?.kind === 'object') top.expectName = true;
        else if (top?.kind === 'array') top.index++;
        break;
      case 'String':
        if (top?.kind === 'object' && top.expectName) {
          const [start, end] = token.range as [number, number];
          const name = JSON.parse(text.slice(start, end)) as string;
          top.expectName = false;
          top.name = name;
          if (top.names.has(name)) return path();
          top.names.add(name);
        }
        break;
      default:
        break;
    }
  }
  return undefined;
}
