import type { CampaignSource } from '../delivery/send-log.js';
import { ensureCampaign, findCampaign, markCampaignSending } from './campaigns.js';
import type { Db } from './db.js';
import { countDeliveries, limitPageCache, markInterruptedUnknown, previewRecipients, snapshotDeliveries, SqliteSendLog } from './deliveries.js';
import { acquireLock } from './locks.js';
import { firstSubscriber, listSubscribers } from './subscribers.js';

/** The SQLite store as the send engine sees it (see src/delivery/send-log.ts). */
export function sqliteCampaignSource(db: Db): CampaignSource {
  return {
    lockCampaign: (slug, now) => acquireLock(db, `campaign:${slug}`, now),
    openCampaign(issue, options, now) {
      const previous = findCampaign(db, issue.slug);
      const sentEarlierVersion = previous?.content_hash && previous.content_hash !== issue.contentHash ? countDeliveries(db, previous.id).sent : 0;
      const campaign = ensureCampaign(db, issue, now);
      limitPageCache(db);
      const interrupted = markInterruptedUnknown(db, campaign.id, now);
      snapshotDeliveries(db, campaign, options.fromEmail, now);
      markCampaignSending(db, campaign.id, now);
      return { log: new SqliteSendLog(db, campaign.id, options.retryUnknown), interrupted, sentEarlierVersion };
    },
    previewRecipients: (slug, retryUnknown, sample) => previewRecipients(db, findCampaign(db, slug)?.id, retryUnknown, sample),
    exampleRecipient: () => firstSubscriber(db, 'active'),
    activeSubscribers: () => listSubscribers(db, { status: 'active' }),
    countDeliveries(slug) {
      const campaign = findCampaign(db, slug);
      return campaign ? countDeliveries(db, campaign.id) : undefined;
    },
  };
}
