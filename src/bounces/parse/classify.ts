/**
 * Hard or soft, and why. Hard means the address itself is bad: no such user, no such domain, a
 * disabled or closed mailbox, or one that moved without forwarding. Everything else is soft: a
 * full mailbox, a message too large, anything the receiver holds against the sender (blocklists,
 * spam filters, policy, reputation, SPF/DKIM/DMARC, reverse DNS, relaying), network and DNS
 * trouble, timeouts and expired retries, rate limits. A receiver that blocks us says nothing
 * about the reader: reading such a bounce as hard would wipe good readers off the list the day
 * our IP is listed.
 *
 * The text of the diagnostic decides first (it is the most specific thing in a bounce, and many
 * servers put generic or wrong enhanced codes on it), in an order that lets sender-side reasons
 * win over recipient ones ("550 5.1.1 blocked: your IP is listed" is about us). Then the RFC 3463
 * enhanced status code, then the class of the SMTP reply.
 */

export type BounceClass = 'hard' | 'soft';

export const REASONS = [
  'user-unknown',
  'domain-unknown',
  'mailbox-disabled',
  'has-moved',
  'bad-address',
  'mailbox-full',
  'message-too-large',
  'rate-limited',
  'blocked',
  'spam',
  'reputation',
  'authentication',
  'reverse-dns',
  'relay-denied',
  'policy',
  'content',
  'expired',
  'timeout',
  'network',
  'dns',
  'system',
  'delayed',
  'other',
] as const;
export type Reason = (typeof REASONS)[number];

const HARD_REASONS: ReadonlySet<Reason> = new Set(['user-unknown', 'domain-unknown', 'mailbox-disabled', 'has-moved', 'bad-address']);

export interface Verdict {
  class: BounceClass;
  reason: Reason;
  /** The enhanced status code: as given, else read from the diagnostic, else inferred from the reason. */
  status: string;
}

export interface ClassifyInput {
  /** Enhanced status code from a Status field, if any. */
  status?: string | undefined;
  diagnostic?: string | undefined;
  /** RFC 3464 Action (failed, delayed, ...). */
  action?: string | undefined;
}

/** Lower case, no accents, one space between words, straight quotes: what the phrase lists are written against. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKD')
    // Accents off Latin letters only: Cyrillic and kana keep theirs (й, が).
    .replace(/([A-Za-z])[\u0300-\u036f]+/g, '$1')
    .normalize('NFC')
    .replace(/[\u2018\u2019\u02bc`´]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .toLowerCase()
    .replace(/\u0131/g, 'i')
    .replace(/\u00df/g, 'ss')
    .replace(/\s+/g, ' ')
    .trim();
}

type Rule = readonly [Reason, RegExp];
const r = (reason: Reason, ...sources: string[]): Rule => [reason, new RegExp(sources.join('|'))];

/*
 * Phrases in three tiers, first match wins. Written from RFC 3463, the MTAs' sources and manuals
 * (Postfix, Exim, Sendmail, qmail, Courier, Exchange) and the replies providers document.
 * 1. What can only be about the sender or a temporary state (blocklists, SPF/DKIM/DMARC, rDNS,
 *    relaying, a full mailbox, size, rate): these win even over a 5.1.1 code on the same line.
 * 2. What can only mean the address is bad: hard.
 * 3. Broad words (policy, denied, content, timeouts, network, DNS, system): soft.
 */
const SENDER_SIDE: readonly Rule[] = [
  r(
    'mailbox-full',
    String.raw`mailbox (?:is )?(?:full|over ?quota|exceeds|size limit|has exceeded)`,
    String.raw`(?:over|exceed(?:s|ed)?|exceeding)(?: (?:the|its|his|her|their|disk|storage|mailbox|allowed|allocated|user's))* quota`,
    String.raw`quota (?:exceeded|exceed|full|violation|limit exceeded)|quota_exceeded|overquota`,
    String.raw`(?:disk|mailbox|storage|mail ?box|maildir|mailfolder|inbox) (?:quota|full|is full|space)`,
    String.raw`\bfull mailbox|insufficient (?:disk |storage )?(?:space|storage)|not (?:enough|sufficient) (?:disk |storage )?space|no space left`,
    String.raw`exceeded (?:the )?storage allocation|user's space has been used up|too many messages (?:on the server|in (?:the|this) mailbox)`,
    String.raw`out of storage|storage (?:quota|limit|full)|account is full|inbox is full|has too much mail|mailbox has exceeded`,
    String.raw`postfach (?:ist )?voll|mailbox voll|speicherplatz|boite (?:aux lettres |du destinataire )?pleine|casella (?:di posta )?(?:piena|e' piena)|buzon (?:lleno|completo)|caixa (?:postal |de correio )?(?:cheia|lotada)|mailbox vol\b|skrzynka (?:odbiorcza )?(?:jest )?pelna|kotak surat penuh|posta kutusu dolu|buzon (?:esta )?(?:lleno|completo)|(?:mailbox|postvak) (?:is )?vol\b|schranka (?:je )?plna|postladan ar full|postkassen er ful[dl]|postafiok megtelt|ящик (?:переполнен|заполнен)|ящик переполнен|容量|満杯|いっぱい|邮箱已满|邮箱空间不足|메일함 용량`,
  ),
  r(
    'message-too-large',
    String.raw`(?:message|mail|email|e-mail) (?:size )?(?:is )?(?:too (?:large|big|long)|exceeds|size exceeds|length exceeds)`,
    String.raw`exceeds (?:the )?(?:fixed |maximum |max |size |allowed |message size )*(?:size )?limit|size limit exceeded|message size exceed`,
    String.raw`too (?:large|big) for (?:the |this )?(?:system|mailbox|recipient)|larger than (?:the )?(?:max|allowed)|maximum (?:message )?size`,
    String.raw`\b5\.3\.4\b|\b5\.2\.3\b|message length exceeds|file too large|nachricht (?:ist )?zu gross|taille du message`,
  ),
  r(
    'rate-limited',
    String.raw`too many (?:messages|mails|emails|connections|recipients|concurrent|sessions|requests|invalid recipients|errors|bad commands)|receiving mail (?:too quickly|at a rate)`,
    String.raw`rate ?limit|rate of (?:messages|mail|email)|throttl|sending rate|send rate|exceeded (?:the )?(?:daily |hourly )?(?:sending |message |recipient )?(?:limit|quota)|daily (?:sending |message )?(?:limit|quota)`,
    String.raw`\[ts0[1-4]\]|\[tss0[1-9]\]|temporarily deferred|unexpected volume|4\.7\.28|dyn:t1|rly:t|connection limit|resolver\.adr\.reciplimit|recipient limit`,
  ),
  r(
    'spam',
    String.raw`\bspam|unsolicited|bulk (?:mail|e-?mail)|\bphish|junk mail|looks like junk`,
    String.raw`message (?:was |has been )?(?:rejected|refused|blocked|filtered) (?:due to|because of|as|for)? ?(?:content|spam|suspected)|rejected by (?:the )?(?:content|spam)|message filtered|high probability of|spam score`,
  ),
  r(
    'blocked',
    String.raw`blacklist|blocklist|block list|black list|denylist|\bdnsbl|\brbl\b|spamhaus|spamcop|barracudacentral|sorbs|uceprotect|abuseat|mailspike|on our block|(?:ip|address|host|server|sender|domain|you)(?: address)?(?: \[?[0-9a-f.:]+\]?)? (?:is |are |has been |was )?(?:currently )?listed (?:at|on|in|by)`,
    String.raw`(?:your|sending|sender's|client|the) (?:ip|host|server|network|mail server)(?: address)?(?: \[?[0-9a-f.:]+\]?)? (?:has been |is |was |are |temporarily |currently )*(?:blocked|banned|refused|denied|rejected|not allowed|blacklisted)`,
    String.raw`(?:ip|client host|host) \[?[0-9a-f.:]{7,}\]? (?:has been |is |was |temporarily )*(?:blocked|banned|refused|rejected|blacklisted)`,
    String.raw`banned sending ip|access denied,? banned|\[bl2[0-9]\]|\[rl0[0-9]\]|rly:b|rly:nw|dyn:|not currently accepting mail from your ip|bad ip|poor reputation|reputation|\bs3150\b|\bs3140\b|5\.7\.606|5\.7\.511|refused to talk to me|go away|your access to this mail system|client host rejected: (?!cannot find)`,
  ),
  r(
    'authentication',
    String.raw`\bspf\b|\bdkim\b|\bdmarc\b|sender policy framework|unauthenticated|not authenticated|authentication (?:required|failed|failure)|5\.7\.2[3-9]\b|5\.7\.30\b|arc validation|sender verify failed|could not verify sender|sender (?:address|domain|mailbox|e-?mail)|sender (?:was )?(?:rejected|refused|denied|blocked)|unverified sender|\bforged|spoof|impersonat|starttls|tls (?:is )?required|encryption required|must use tls|5\.7\.10\b|5\.7\.11\b|5\.7\.8\b|5\.7\.5\b|5\.1\.[78]\b`,
  ),
  r(
    'reverse-dns',
    String.raw`reverse (?:dns|lookup|record|hostname)|\bptr\b|\brdns\b|no reverse|cannot find your hostname|cannot resolve your (?:hostname|address)|client host rejected: cannot find|helo (?:command )?rejected|invalid helo|bad helo|host name does not match|hostname does not resolve|unknown host name of the client|dynamic ip|dynamic/zombied|residential ip|hosts with dynamic|dial-?up`,
  ),
  // The reader's own settings turned the message away (Facebook's "recipient preferences", a group
  // one may not post to): nothing says the address is gone.
  r('policy', String.raw`recipient preferences|email preferences of the (?:person|recipient)|(?:have|has) no permission to post|(?:not|no) (?:have )?permission to post|投稿する権限がない`),
  // A reply to MAIL FROM is about the sender, whatever it says ("550 5.1.1 user unknown" there is our address).
  r('authentication', String.raw`in reply to mail from command|after mail from`),
  r('relay-denied', String.raw`relay(?:ing)? (?:access )?(?:denied|not permitted|prohibited|not allowed)|not (?:permitted|allowed) to relay|we do not relay|unable to relay|relay not permitted|no relaying|5\.7\.64\b`),
];

const ADDRESS_BAD: readonly Rule[] = [
  r(
    'has-moved',
    String.raw`has (?:been )?moved|has been replaced by|no longer (?:valid|in use|with (?:the|us|this)|works|employed|at (?:the|this)|active|exists)|not (?:with|at) (?:the|this) (?:company|organi[sz]ation) (?:any ?more|any longer)|address (?:has )?changed|5\.1\.6\b`,
  ),
  r(
    'mailbox-disabled',
    String.raw`(?:mailbox|account|address|user|recipient|inbox|e-?mail)(?: address)? (?:you tried to reach )?(?:has been |is |was |currently |now |temporarily |permanently )*(?:disabled|deactivated|de-activated|inactive|suspended|closed|deleted|terminated|locked|frozen|archived|discontinued|not active|no longer active)`,
    String.raw`(?:disabled|inactive|suspended|closed|deleted|deactivated|locked|frozen|dormant|cancelled|canceled) (?:mailbox|account|user|address|recipient)|is a deactivated mailbox|user (?:suspended|disabled)|(?:account|user|mailbox) (?:has )?expired|expired (?:account|mailbox)|mailbox unavailable or access denied|boite du destinataire archivee|archived recipient|is unavailable: user is terminated|recipient(?:'s)? account (?:is|has been) (?:blocked|locked)|compte du destinataire est (?:bloque|suspendu|desactive)|5\.2\.1\b|(?:conta|cuenta|compte|konto) (?:desativada|desactivada|desactive|gesperrt|deaktiviert|disattivat)|casella disattivata|アカウント.*(?:停止|無効)|已停用|已冻结|已被冻结`,
  ),
  r(
    'domain-unknown',
    String.raw`(?:host|domain)(?: name)? (?:or domain name )?(?:not found|unknown|does not exist|doesn't exist|is not valid|invalid|nicht gefunden)|unknown (?:host|domain)|no such (?:domain|host)|domain (?:name )?(?:is )?(?:not (?:exist|resolvable|registered)|unknown|does not accept mail)`,
    String.raw`no (?:mx|mail exchanger|valid mx)|null mx|does not accept (?:e-?)?mail|unrout(?:e)?able (?:address|domain|mail domain)|name or service not known|nxdomain|domain must exist|host not found|domain not found|5\.1\.2\b|5\.1\.10\b|5\.4\.310\b|mail domain mentioned in email address is unknown|resolver\.adr\.nodomain|(?:couldn't|could not) find any host (?:named|by that name)|invalid (?:recipient )?domain\b|illegal host/domain|the domain is not reachable`,
  ),
  r(
    'user-unknown',
    String.raw`(?:user|recipient|mailbox|address|account|addressee|local[ -]?part|destination|e-?mail(?: address)?|person|name|user ?name)s? (?:is |was )?(?:unknown|not (?:known|found|exist|existing|valid|present|recognized|listed)|does(?:n't| not) exist|doesnt exist|non-?existent|nonexistent|inexistent|no longer exists)`,
    String.raw`unknown (?:user|recipient|mailbox|address|e-?mail|local[ -]?part|alias|account|addressee)|no such (?:user|recipient|mailbox|address|account|person|local user|e-?mail)|invalid (?:recipient|mailbox|user|address|account|e-?mail)|bad (?:destination mailbox|recipient|address)|(?:user|recipient) (?:lookup|verification) failed|not a valid (?:user|recipient|mailbox|address)|is not a known user`,
    String.raw`no mailbox (?:here|by that name|found|available)|mailbox (?:does not|doesn't) exist|no account by that name|there is no one at this address|(?:doesn't|does not) have an? (?:[^ ]+ )?account|unknown or illegal alias|recipient rejected: undeliverable|recipient not (?:found|exist)|resolver\.adr\.recip(?:ient)?notfound|recipnotfound|recipientnotfound|5\.1\.1\b|5\.1\.0 address rejected|badrcptto|not in (?:my|the) (?:validrcptto|list of valid)|mailbox (?:is )?unavailable|mailbox not (?:found|present|available)|this address no longer accepts mail|email account that you tried to reach does not exist|as\(201806281\)|recipient address rejected: access denied|address (?:is )?not valid|user doesn't exist|dd this user|undeliverable address|address is undeliverable|isn't in my list of allowed rcpthosts|not in my list of allowed rcpthosts|not our customer`,
    String.raw`bad address syntax|invalid address syntax|address syntax (?:error|is invalid|incorrect)|syntax error in (?:the )?(?:recipient|address|mailbox)|malformed (?:recipient |e-?mail )?address`,
    String.raw`benutzer (?:ist )?unbekannt|unbekannte?r? (?:benutzer|empfanger|empfaenger)|empfanger (?:ist )?unbekannt|adresse (?:existiert nicht|unbekannt)|existiert nicht|utilisateur (?:inconnu|introuvable)|destinataire (?:inconnu|invalide)|adresse (?:inconnue|invalide|inexistante)|n'existe pas|utente (?:sconosciuto|inesistente)|indirizzo (?:inesistente|sconosciuto|non valido)|nessun utente|usuario (?:desconocido|inexistente|no existe)|no existe (?:dicha|ese|el)|direccion (?:invalida|inexistente)|usuario nao existe|utilizador desconhecido|usuario desconhecido|onbekende (?:gebruiker|ontvanger)|bestaat niet|nieznany (?:uzytkownik|adresat)|nie istnieje|neexistuje|kullanici bulunamadi|boyle bir kullanici|pengguna tidak (?:dikenal|ditemukan)|alamat (?:email )?tidak (?:ditemukan|dikenal)|пользовател[ья] (?:не найден|не существует)|нет такого|адрес не существует|неизвестный (?:пользователь|адрес)|ユーザ.*(?:存在し|見つかり|不明)|(?:アドレス|宛先).*(?:存在し|見つかり|無効)|使用されていません|宛先不明|邮箱不存在|ящик не найден|адресат не найден|не существует|endereco (?:inexistente|invalido|nao existe)|\bno existe\b|okand (?:mottagare|anvandare)|finns inte|ukendt (?:modtager|bruger)|findes ikke|ukjent (?:mottaker|bruker)|finnes ikke|tuntematon (?:vastaanottaja|kayttaja)|ismeretlen (?:cimzett|felhasznalo)|not listed in (?:the )?(?:domino |public |global )?(?:directory|address book)|存在しな|存在しません|リストにありません|該当.*(?:ユーザ|アドレス)|用户不存在|收件人不存在|地址不存在|无此用户|帐户不存在|账户不存在|존재하지 않는`,
  ),
];

const BROAD: readonly Rule[] = [
  r(
    'content',
    String.raw`virus|malware|infected|trojan|dangerous attachment|attachment (?:type )?(?:not allowed|rejected|blocked|forbidden)|banned (?:attachment|content|file)|executable|security (?:issue|threat|risk)|content (?:rejected|denied|not allowed)|message content|uribl|surbl|potential security issue|\bjunk\b|content filter`,
  ),
  r(
    'policy',
    String.raw`\bpolic(?:y|ies)\b|not (?:allowed|permitted|authorized|authorised) to (?:send|deliver|post|receive)|prohibited|administrative(?:ly)? (?:prohibit|denied|reasons)|restricted|restriction|greylist|graylist|grey-list|try again in \d|resolver\.rst\.|delivery not authorized|authorization required|only accepts mail from|\[ph01\]|\[hm08\]|access denied|permission denied|not authori[sz]ed|refused by (?:the )?recipient|recipient (?:has )?(?:refused|rejected|blocked|declined)|moderat|blocked|banned|denied|refused|rejected for|abuse`,
  ),
  r(
    'expired',
    String.raw`expired|retry time(?:out)? (?:not reached|exceeded)|retry timeout|too long in (?:the )?queue|in the queue too long|queue too long|could not be delivered within|delivery time|4\.4\.7\b|giving up|gave up|after (?:\d+ )?(?:days|hours) of (?:retries|retrying)|maximum (?:time|retries)`,
  ),
  r(
    'timeout',
    String.raw`timed? ?out|timeout|time-out|no response|did not respond|not responding|connection (?:was )?(?:lost|dropped|closed|reset)|lost connection|unexpected(?:ly)? (?:end|closed|disconnect)`,
  ),
  r('dns', String.raw`\bdns\b|name (?:service|server) (?:error|failure)|lookup (?:failed|failure|error)|temporary (?:lookup|dns) failure|servfail|name service error`),
  r(
    'network',
    String.raw`connection refused|connect to [^ ]+ (?:failed|refused)|could not connect|can't connect|cannot connect|unable to connect|network (?:is )?unreachable|host (?:is )?unreachable|no route to host|unreachable|couldn't (?:establish|connect)|wasn't able to establish|smtp connection|tls (?:handshake|negotiation) failed|\bssl\b|certificate|loops back to myself|mail loop|routing loop|too many hops|loop(?:ing)? detected|message is looping|4\.4\.\d\b`,
  ),
  r(
    'system',
    String.raw`system (?:error|failure|not available|is busy|unavailable|full)|local error|internal (?:server )?error|service (?:not available|unavailable|temporarily unavailable)|temporar(?:y|ily) (?:failure|error|unavailable|rejected|not available)|try again|please retry|resources|server (?:is )?busy|not accepting messages|out of memory|configuration error|misconfigur|5\.3\.\d\b|4\.3\.\d\b`,
  ),
];

const RULES: readonly Rule[] = [...SENDER_SIDE, ...ADDRESS_BAD, ...BROAD];

/** RFC 3463 subject.detail -> reason; the class digit is applied after. */
function reasonFromStatus(status: string): Reason | undefined {
  const [, subject, detail] = status.split('.').map(Number);
  switch (subject) {
    case 1:
      if (detail === 1) return 'user-unknown';
      // X.1.10 is RFC 7505's null MX, but Office 365 uses it for "recipient not found": both are the address.
      if (detail === 10) return 'user-unknown';
      if (detail === 2) return 'domain-unknown';
      if (detail === 3) return 'bad-address';
      if (detail === 6) return 'has-moved';
      if (detail === 7 || detail === 8) return 'authentication';
      return undefined;
    case 2:
      if (detail === 1) return 'mailbox-disabled';
      if (detail === 2) return 'mailbox-full';
      if (detail === 3) return 'message-too-large';
      return undefined;
    case 3:
      return detail === 4 ? 'message-too-large' : 'system';
    case 4:
      if (detail === 7) return 'expired';
      if (detail === 1 || detail === 2) return 'timeout';
      if (detail === 3 || detail === 4) return 'dns';
      return 'network';
    case 5:
      return 'system';
    case 6:
      return 'content';
    case 7:
      if (detail === 1) return 'policy';
      if (detail === 7 || detail === 0) return 'policy';
      if ((detail ?? 0) >= 23 && (detail ?? 0) <= 29) return 'authentication';
      if (detail === 25) return 'reverse-dns';
      return 'policy';
    default:
      return undefined;
  }
}

const INFERRED_STATUS: Record<Reason, string> = {
  'user-unknown': '1.1',
  'domain-unknown': '1.2',
  'bad-address': '1.3',
  'has-moved': '1.6',
  'mailbox-disabled': '2.1',
  'mailbox-full': '2.2',
  'message-too-large': '3.4',
  'rate-limited': '7.0',
  spam: '7.1',
  blocked: '7.1',
  reputation: '7.1',
  authentication: '7.26',
  'reverse-dns': '7.25',
  'relay-denied': '7.1',
  policy: '7.1',
  content: '6.0',
  expired: '4.7',
  timeout: '4.2',
  network: '4.0',
  dns: '4.3',
  system: '3.0',
  delayed: '4.7',
  other: '0.0',
};

export const ENHANCED_STATUS = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;
const REPLY_CODE = /(?:^|[^0-9.])([245])[0-9]{2}(?:[ -]|$)/;

/** The enhanced status code in a diagnostic text, if any ("550-5.1.1 ...", "#5.1.1", "(#4.4.1)"). */
export function statusIn(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const match = ENHANCED_STATUS.exec(text);
  return match ? `${match[1]}.${match[2]}.${match[3]}` : undefined;
}

/** The class digit (2, 4, 5) of the SMTP reply code at the start of a diagnostic, if any. */
export function replyClassIn(text: string | undefined): string | undefined {
  if (!text) return undefined;
  return REPLY_CODE.exec(text.slice(0, 200))?.[1];
}

export function reasonFromText(text: string): Reason | undefined {
  const normalized = normalizeText(text);
  if (!normalized) return undefined;
  for (const [reason, pattern] of RULES) if (pattern.test(normalized)) return reason;
  return undefined;
}

/** Words that say a recipient-side failure is temporary on the receiver's side, not that the address is bad. */
const TEMPORARY = /not found, try again|try again later|temporar|timeout|timed out|servfail|lookup fail|transient/;

export function classify(input: ClassifyInput): Verdict {
  const diagnostic = input.diagnostic ?? '';
  // A Status field's generic X.0.0 gives way to a specific code in the diagnostic (Exim, Postfix's error transport).
  const statusField = validStatus(input.status);
  const inText = statusIn(diagnostic);
  const given = statusField && (!statusField.endsWith('.0.0') || !inText) ? statusField : (inText ?? statusField);
  const fromText = reasonFromText(diagnostic);
  const fromStatus = given ? reasonFromStatus(given) : undefined;
  // Two readings that both say the address is bad: the code is the more precise one.
  let reason: Reason = fromText && fromStatus && HARD_REASONS.has(fromText) && HARD_REASONS.has(fromStatus) ? fromStatus : (fromText ?? fromStatus ?? 'other');
  if (reason === 'domain-unknown' && TEMPORARY.test(normalizeText(diagnostic))) reason = 'dns';
  const action = (input.action ?? '').toLowerCase();
  if (action === 'delayed') {
    const soft = HARD_REASONS.has(reason) ? 'delayed' : reason;
    return { class: 'soft', reason: soft, status: statusFor(given, soft, '4') };
  }
  const digit = given?.[0] ?? replyClassIn(diagnostic) ?? (HARD_REASONS.has(reason) ? '5' : '4');
  // A 4xx reply is temporary by definition; only a receiver saying in words that the user does
  // not exist (Postfix's unverified_recipient_reject_code, a queue that expired on "user unknown")
  // makes it hard.
  const hard = HARD_REASONS.has(reason) && (digit !== '4' || (reason === 'user-unknown' && !TEMPORARY.test(normalizeText(diagnostic))));
  const cls: BounceClass = hard ? 'hard' : 'soft';
  return { class: cls, reason, status: statusFor(given, reason, digit) };
}

function statusFor(given: string | undefined, reason: Reason, digit: string): string {
  if (given && !given.endsWith('.0.0')) return given;
  return `${digit === '2' ? '5' : digit}.${INFERRED_STATUS[reason]}`;
}

function validStatus(status: string | undefined): string | undefined {
  const match = status ? /^\s*([245])\.(\d{1,3})\.(\d{1,3})/.exec(status) : null;
  return match ? `${match[1]}.${match[2]}.${match[3]}` : undefined;
}
