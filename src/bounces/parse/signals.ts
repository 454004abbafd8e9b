import { normalizeText } from './classify.js';
import { decodedHeader, header, type MimePart } from './mime.js';
import { findAddress } from './fields.js';

/**
 * What the outside of a message says about it: who sent it (a mail system or a person), and
 * whether its subject and headers mark it as a bounce, a delay notice or an automatic reply.
 */

const DAEMON_LOCAL = /^(?:mailer[-_]?daemon|post[-_]?master|mail[-_]?delivery[-_]?(?:subsystem|system)?|mdaemon|mailadmin|mail-daemon|maildelivery|nobody|bounces?|double-bounce|root|mta|mailerdaemon|system)$/i;
const DAEMON_NAME = /courier mail server|mail delivery (?:subsystem|system|service)|mailer[- ]daemon|postmaster|mail administrator|microsoft outlook|delivery (?:status )?notification|mail system|returned mail|mail delivery failure|mail gateway/i;

export function fromMailSystem(message: MimePart): boolean {
  const from = decodedHeader(message.headers, 'from') ?? '';
  const address = findAddress(from) ?? '';
  return DAEMON_LOCAL.test(address.split('@')[0] ?? '') || DAEMON_NAME.test(from) || /^mailer-daemon\b/i.test(from.trim());
}

const BOUNCE_SUBJECT = new RegExp(
  [
    String.raw`undeliver|undelivered|non[- ]?deliver|not (?:be )?delivered|delivery (?:status notification \(failure\)|failure|failed|has failed|problem|error|report)|failure notice|failed delivery`,
    String.raw`returned mail|mail delivery (?:failed|failure|problem|error|system)|returning message to sender|could not send|cannot be delivered|unable to deliver|delivery notification: delivery has failed|mail delivery status|mail system error|rejected:|permanent error|message not delivered|nondeliverable|non-delivery|notification d'etat de distribution|delivery status notification`,
    String.raw`unzustellbar|nicht zustellbar|nicht zugestellt|kezbesithetetlen|nie mozna dostarczyc|невозможно доставить|не доставлен|kunne ikke leveres|ikke levert|kan inte levereras|levererades inte|leverans misslyckades|toimitus epaonnistui|nao e possivel entregar|zustellung fehlgeschlagen|unzustellbare|non remis|non distribuable|echec de (?:la )?(?:remise|distribution)|impossible de remettre|non recapitabile|mancato recapito|impossibile recapitare|no se (?:puede|pudo) entregar|no entregado|error de entrega|nao entregue|falha na entrega|onbestelbaar|niet afgeleverd|niedostarczalna|nie dostarczono|nedorucitelne|nedoruceno|teslim edilemedi|tidak terkirim|gagal terkirim|не доставлено|недоставленное|配信(?:不能|失敗|エラー|できません)|未送達|送信(?:エラー|失敗)|エラー|退信|无法投递|投递失败|系统退信|전송 실패|반송`,
  ].join('|'),
);

const DELAY_SUBJECT = /delay(?:ed)?\b|still being retried|warning: message .* delayed|status notification \(delay\)|deferred|verzoegert|verzogert|retarde|ritardat|retrasad|atrasad|vertraagd|opozn|遅延|延迟/;

const AUTO_SUBJECT = new RegExp(
  [
    String.raw`^(?:auto(?:matic)?[- ]?(?:reply|response|respond|antwort|answer)|autoreply|auto:|out of (?:the )?office|ooo\b|away from (?:my|the) (?:office|desk)|on vacation|vacation|on leave|holiday|i am (?:out|away)|i'm (?:out|away))`,
    String.raw`automatic reply|auto[- ]?reply|autoresponse|auto[- ]response|out of (?:the )?office|abwesenheit|automatische antwort|reponse automatique|absence|risposta automatica|fuori ufficio|respuesta automatica|fuera de la oficina|resposta automatica|ausencia|automatisch antwoord|afwezig|odpowiedz automatyczna|automaticka odpoved|otomatik yanit|balasan otomatis|sedang cuti|不在|自動(?:応答|返信)|自动回复|自動回覆|休暇|자동 응답|автоматический ответ|автоответ|ausente|poza biurem|congé|conge`,
  ].join('|'),
);

export function subjectOf(message: MimePart): string {
  return normalizeText(decodedHeader(message.headers, 'subject') ?? '');
}

export const isBounceSubject = (subject: string) => BOUNCE_SUBJECT.test(subject);
export const isDelaySubject = (subject: string) => DELAY_SUBJECT.test(subject) && !/\(failure\)|failed|failure/.test(subject);
export const isAutoReplySubject = (subject: string) => AUTO_SUBJECT.test(subject);
/** "Automatic reply: Undeliverable: ..." is an auto-reply whatever follows its prefix. */
const AUTO_PREFIX = /^(?:automatic reply|auto(?:matische)?[- ]?(?:reply|response|antwort|answer)|autoreply|auto:|out of (?:the )?office|abwesenheitsnotiz|automatisch antwoord|reponse automatique|risposta automatica|respuesta automatica|resposta automatica)\b/;
export const hasAutoReplyPrefix = (subject: string) => AUTO_PREFIX.test(subject);

/** RFC 3834 and the non-standard headers autoresponders set. */
export function autoReplyHeaders(message: MimePart): boolean {
  const h = message.headers;
  const submitted = (header(h, 'auto-submitted') ?? '').toLowerCase();
  if (submitted.startsWith('auto-replied')) return true;
  if (header(h, 'x-autoreply') !== undefined || header(h, 'x-autorespond') !== undefined || header(h, 'x-autoresponder') !== undefined) return true;
  if (/auto[-_]?reply/i.test(header(h, 'precedence') ?? '')) return true;
  if (/^(?:oof|autoreply|auto-reply)/i.test(header(h, 'x-auto-response-suppress') ?? '') && /^(?:all|oof)/i.test(header(h, 'x-ms-exchange-inbox-rules-loop') ?? 'x')) return true;
  if (header(h, 'x-ms-exchange-inbox-rules-loop') !== undefined && /automatic reply|auto/i.test(header(h, 'subject') ?? '')) return true;
  return /^(?:yes|true|1)/i.test(header(h, 'x-vacation') ?? header(h, 'x-mailer-autoreply') ?? '');
}

/** The opening of an out-of-office message that came without any auto-reply header or subject. */
export const AUTO_REPLY_BODY =
  /\b(?:i am|i'm|i will be) (?:currently )?(?:out of (?:the )?office|away|on (?:annual |parental |sick )?leave|on vacation|on holiday|travell?ing)|out of (?:the )?office (?:until|from|till)|limited access to (?:my )?e-?mail|(?:will|shall) (?:be back|return) (?:on|in the office)|nicht im (?:buro|buero)|bin (?:bis|vom) .{0,20} (?:abwesend|nicht erreichbar)|absent(?:e)? du bureau|je suis absent|fuori (?:ufficio|sede)|fuera de la oficina|estoy de vacaciones|sedang cuti|tidak berada di kantor|ben (?:afwezig|met vakantie)|不在にして|休暇/;

/** Body phrases of non-delivery reports (several languages); used only when there is no delivery-status part. */
export const BOUNCE_BODY = new RegExp(
  [
    String.raw`could not be delivered|couldn't be delivered|was not delivered|wasn't delivered|not be delivered|undeliverable|delivery (?:has )?failed|delivery to the following recipients? (?:failed|was unsuccessful)|failed permanently|permanent (?:fatal )?error|i'm afraid i wasn't able to deliver|following address(?:\(es\)|es)? failed|unable to deliver|cannot be delivered|message (?:could not|cannot) be (?:delivered|sent)|your message (?:to [^ ]{1,80} )?(?:could not|couldn't|was not|wasn't|cannot|did not|didn't)|returned to sender|this is the mail system at|the following recipient|failed recipient|delivery status notification|non-delivery|delivery has failed|error occurred while trying to deliver`,
    String.raw`konnte nicht zugestellt|nicht zugestellt werden|n'a pas pu etre (?:remis|distribue)|non e stato possibile recapitare|no se ha podido entregar|nao foi possivel entregar|kon niet worden afgeleverd|nie (?:moze|moglo) (?:byc|zostac) dostarczon|tidak dapat dikirim|не может быть доставлено|не удалось доставить|配信できませんでした|送信できませんでした|届きませんでした|宛先不明|无法投递|未能送达`,
  ].join('|'),
);
