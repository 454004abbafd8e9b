/**
 * "Name: value" field groups, as in RFC 3464 delivery-status and RFC 5965 feedback-report bodies:
 * groups are separated by blank lines, values continue on lines that start with white space.
 * Field names are returned lower-case. Bodies that lost their blank lines (several recipients in
 * one group) are split again where a recipient field repeats.
 */
export type FieldGroup = Map<string, string>;

export function parseFieldGroups(text: string, splitOn: readonly string[] = []): FieldGroup[] {
  const groups: FieldGroup[] = [];
  let group: FieldGroup = new Map();
  let last: string | undefined;
  const close = () => {
    if (group.size) groups.push(group);
    group = new Map();
    last = undefined;
  };
  for (const line of text.replace(/\r\n?/g, '\n').split('\n')) {
    if (/^\s*$/.test(line)) {
      close();
      continue;
    }
    if (/^[ \t]/.test(line) && last) {
      group.set(last, `${group.get(last) ?? ''} ${line.trim()}`.trim());
      continue;
    }
    const match = /^([A-Za-z][A-Za-z0-9-]*)\s*:\s?(.*)$/.exec(line);
    if (!match) continue;
    const name = (match[1] as string).toLowerCase();
    if (group.has(name) && splitOn.includes(name)) close();
    if (!group.has(name)) group.set(name, (match[2] as string).trim());
    last = name;
  }
  close();
  return groups;
}

/** `rfc822; Name <a@b>` -> `a@b` (lower-case); undefined when there is no address in it. */
export function addressField(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const typed = /^\s*[A-Za-z0-9-]+\s*;\s*(.*)$/.exec(value);
  return findAddress(typed ? (typed[1] as string) : value);
}

/** `smtp; 550 5.1.1 ...` -> `550 5.1.1 ...`. */
export function diagnosticField(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const typed = /^\s*(?:smtp|x-[a-z0-9-]+|mailbox|x400|x-unix|x-postfix|unix)\s*;\s*(.*)$/i.exec(value);
  return (typed ? (typed[1] as string) : value).replace(/\s+/g, ' ').trim() || undefined;
}

const ADDRESS = /<?([A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+)>?/;
export const ADDRESS_GLOBAL = new RegExp(ADDRESS.source, 'g');

/** The first email address in a text, lower-case. */
export function findAddress(text: string): string | undefined {
  const match = ADDRESS.exec(text);
  return match ? normalizeAddress(match[1] as string) : undefined;
}

export function normalizeAddress(address: string): string {
  return address.replace(/^['"<(]+|['">).,;:]+$/g, '').toLowerCase();
}
