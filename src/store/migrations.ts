/**
 * Schema versions, applied in order inside one transaction each; PRAGMA user_version records the
 * last one applied. Never edit a migration that has shipped: add the next one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: subscribers, campaigns (one per issue), deliveries (the send log), locks.
  `
  CREATE TABLE subscribers (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,            -- trimmed and lower-cased
    name            TEXT,
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'unsubscribed', 'bounced')),
    source          TEXT,                            -- 'cli', 'import:<file>', 'serve'
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    unsubscribed_at TEXT
  );
  CREATE INDEX subscribers_status ON subscribers (status, id);

  CREATE TABLE campaigns (
    id           INTEGER PRIMARY KEY,
    slug         TEXT NOT NULL UNIQUE,
    issue_path   TEXT NOT NULL,                     -- relative to the project root
    subject      TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'draft'
                 CHECK (status IN ('draft', 'scheduled', 'sending', 'done', 'cancelled')),
    send_at      TEXT,                              -- ISO 8601 UTC instant, when scheduled
    content_hash TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT
  );
  CREATE INDEX campaigns_due ON campaigns (status, send_at);

  -- One row per (campaign, address): the address is snapshotted so that removing a subscriber
  -- never loses the log, and re-adding the address can never receive the same issue twice.
  CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    campaign_id     INTEGER NOT NULL REFERENCES campaigns (id),
    subscriber_id   INTEGER REFERENCES subscribers (id) ON DELETE SET NULL,
    email           TEXT NOT NULL,
    name            TEXT,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'sent', 'deferred', 'failed', 'unknown', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    message_id      TEXT NOT NULL,
    last_code       INTEGER,
    last_reply      TEXT,
    next_attempt_at TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    sent_at         TEXT,
    UNIQUE (campaign_id, email)
  );
  CREATE INDEX deliveries_state ON deliveries (campaign_id, state, id);

  -- Advisory locks that survive a crashed holder: a lock whose pid is dead on this host is stale.
  CREATE TABLE locks (
    name        TEXT PRIMARY KEY,                   -- 'campaign:<slug>', 'dispatch'
    pid         INTEGER NOT NULL,
    host        TEXT NOT NULL,
    acquired_at TEXT NOT NULL
  );
  `,
  // 2: who set a campaign's send time. A front matter send_at may move a schedule it set itself,
  // never one an editor set with `schedule --at` or cancelled with `schedule cancel`.
  `
  ALTER TABLE campaigns ADD COLUMN scheduled_by TEXT CHECK (scheduled_by IN ('cli', 'front-matter'));
  `,
  // 3: sign-up through serve. Subscribers may be 'pending' (SQLite cannot change a CHECK, so the
  // table is rebuilt, the way https://sqlite.org/lang_altertable.html#otheralter describes; ids stay).
  // One signups row per form submission: the consent record and its confirmation email.
  `
  CREATE TABLE subscribers_v3 (
    id              INTEGER PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    name            TEXT,
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'pending', 'unsubscribed', 'bounced')),
    source          TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    unsubscribed_at TEXT
  );
  INSERT INTO subscribers_v3 (id, email, name, status, source, created_at, updated_at, unsubscribed_at)
    SELECT id, email, name, status, source, created_at, updated_at, unsubscribed_at FROM subscribers;
  DROP TABLE subscribers;
  ALTER TABLE subscribers_v3 RENAME TO subscribers;
  CREATE INDEX subscribers_status ON subscribers (status, id);

  CREATE TABLE signups (
    id              INTEGER PRIMARY KEY,
    subscriber_id   INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    email           TEXT NOT NULL,
    name            TEXT,                            -- as typed in the form; applied at confirmation
    -- The status this sign-up took the subscriber from ('unsubscribed', 'bounced'; NULL: a new
    -- address): purge-pending puts it back, so an unconfirmed sign-up never erases an opt-out.
    previous_status TEXT CHECK (previous_status IN ('unsubscribed', 'bounced')),
    source_page     TEXT NOT NULL,
    ip_hash         TEXT NOT NULL,                   -- HMAC of the address with the server secret
    promise         TEXT NOT NULL,                   -- the words the form showed
    requested_at    TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    confirmed_at    TEXT,
    mail_state      TEXT NOT NULL DEFAULT 'queued'
                    CHECK (mail_state IN ('queued', 'sending', 'sent', 'deferred', 'failed', 'unknown', 'skipped')),
    mail_attempts   INTEGER NOT NULL DEFAULT 0,
    mail_due_at     TEXT,                            -- when a queued or deferred email may go
    mail_reply      TEXT,
    mail_sent_at    TEXT
  );
  CREATE INDEX signups_subscriber ON signups (subscriber_id, id);
  CREATE INDEX signups_email ON signups (email, requested_at);
  CREATE INDEX signups_mail_due ON signups (mail_due_at) WHERE mail_state IN ('queued', 'deferred');

  -- Sign-ups per client address (a keyed hash of the IPv4 address or IPv6 /64), for the per-IP limit.
  CREATE TABLE signup_attempts (
    ip_key TEXT NOT NULL,
    at     TEXT NOT NULL
  );
  CREATE INDEX signup_attempts_key ON signup_attempts (ip_key, at);
  CREATE INDEX signup_attempts_at ON signup_attempts (at);
  `,
  // 4: bounces and complaints. One row per (returned message, address): reading the same message
  // again changes nothing. Each row keeps its evidence and what it decided; subscribers say why
  // they stopped being active; bounce_resets says from when soft bounces count again after a reactivation.
  `
  CREATE TABLE bounce_events (
    id            INTEGER PRIMARY KEY,
    message_key   TEXT NOT NULL,                   -- the returned message's Message-ID, else a hash of its bytes
    address       TEXT NOT NULL,                   -- the recipient it reports on (lower-case)
    kind          TEXT NOT NULL CHECK (kind IN ('bounce', 'complaint')),
    class         TEXT CHECK (class IN ('hard', 'soft')),
    status        TEXT,                            -- enhanced status code, 5.1.1
    reason        TEXT NOT NULL,                   -- user-unknown, mailbox-full, blocked, complaint...
    diagnostic    TEXT,
    delivery_id   INTEGER NOT NULL REFERENCES deliveries (id),
    subscriber_id INTEGER REFERENCES subscribers (id) ON DELETE SET NULL,
    matched_by    TEXT NOT NULL CHECK (matched_by IN ('verp', 'message-id')),
    decision      TEXT NOT NULL CHECK (decision IN ('bounced', 'counted', 'unsubscribed', 'none')),
    source        TEXT NOT NULL,                   -- the file (path#n in an mbox), or "uid N" on IMAP
    created_at    TEXT NOT NULL,
    UNIQUE (message_key, address)
  );
  CREATE INDEX bounce_events_subscriber ON bounce_events (subscriber_id, id);
  CREATE INDEX bounce_events_delivery ON bounce_events (delivery_id);
  CREATE INDEX deliveries_message_id ON deliveries (message_id);
  ALTER TABLE subscribers ADD COLUMN status_reason TEXT;   -- why not active: hard-bounce, soft-bounces, complaint
  -- A bounced subscriber reactivated by hand: soft bounces of deliveries before reset_at no longer count.
  CREATE TABLE bounce_resets (
    subscriber_id INTEGER PRIMARY KEY REFERENCES subscribers (id) ON DELETE CASCADE,
    reset_at      TEXT NOT NULL
  );
  `,
  // 5: a subscriber's deliveries by subscriber. The soft-bounce policy reads them for every soft
  // bounce (without it, a scan's time grew with the square of the send log: 20,000 bounces took
  // three times as long as 10,000), and deleting a subscriber updates them (ON DELETE SET NULL).
  `
  CREATE INDEX deliveries_subscriber ON deliveries (subscriber_id, id);
  `,
];
