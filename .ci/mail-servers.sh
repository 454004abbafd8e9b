#!/usr/bin/env bash
# Real mail servers for the bounce tests, on loopback only, each on its own port (none on 25):
#   Postfix  SMTP 127.0.0.1:10025  turns mail for hard.fw.test / soft.fw.test into real DSNs (and
#            drops mail for ok.fw.test as delivered) and
#            delivers them (VERP, recipient_delimiter +) to the Maildir /var/lib/fw-mail/postfix/bounces/
#   Exim     SMTP 127.0.0.1:10026  same domains, Exim's own bounces, to /var/lib/fw-mail/exim/bounces/
#   Dovecot  IMAPS 127.0.0.1:10993 user "bounces", password "fw-imap-test" (a loopback test server)
# Postfix and Exim conflict as Debian packages (both are the MTA), so Exim is unpacked from its
# Debian package into /opt/fw-exim and run with its own config instead of being installed.
# Idempotent and quick when everything is already there and running. Used by .ci/run and by
# developers: `bash .ci/mail-servers.sh`.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
BASE=/var/lib/fw-mail
CONF=/etc/fw-mail
EXIM_ROOT=/opt/fw-exim

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

need=()
command -v postfix >/dev/null 2>&1 || need+=(postfix)
command -v dovecot >/dev/null 2>&1 || need+=(dovecot-imapd)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ -e /usr/lib/x86_64-linux-gnu/libidn.so.12 ] || [ -e /lib/x86_64-linux-gnu/libidn.so.12 ] || need+=(libidn12)
dpkg -s libgnutls-dane0 >/dev/null 2>&1 || need+=(libgnutls-dane0)
if [ ${#need[@]} -gt 0 ]; then
  echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
  echo "postfix postfix/mailname string mx.fw.test" | debconf-set-selections
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

id fwmail >/dev/null 2>&1 || useradd --system --home-dir "$BASE" --shell /usr/sbin/nologin fwmail
# Debian's Exim binary looks up its build-time user even when the config names another.
id Debian-exim >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin Debian-exim
uid=$(id -u fwmail); gid=$(id -g fwmail)
mkdir -p "$BASE/postfix" "$BASE/exim" "$BASE/dovecot" "$CONF"
chown -R fwmail:fwmail "$BASE"

# ---------------------------------------------------------------------------------------------
# Postfix
cat > /etc/postfix/fw-transport <<MAP
hard.fw.test error:5.1.1 <mailbox unavailable>: user unknown in virtual mailbox table
soft.fw.test error:4.2.2 mailbox full, quota exceeded
ok.fw.test discard:delivered
MAP
cat > /etc/postfix/fw-virtual <<MAP
bounces@bounces.fw.test bounces/
MAP
postconf -e \
  "myhostname = mx.fw.test" "mydomain = fw.test" "myorigin = fw.test" "mydestination =" \
  "inet_interfaces = loopback-only" "inet_protocols = ipv4" "mynetworks = 127.0.0.0/8" \
  "smtpd_reject_unlisted_recipient = no" "relay_domains = hard.fw.test soft.fw.test ok.fw.test" \
  "transport_maps = texthash:/etc/postfix/fw-transport" \
  "virtual_mailbox_domains = bounces.fw.test" "virtual_mailbox_base = $BASE/postfix" \
  "virtual_mailbox_maps = texthash:/etc/postfix/fw-virtual" \
  "virtual_uid_maps = static:$uid" "virtual_gid_maps = static:$gid" "recipient_delimiter = +" \
  "maximal_queue_lifetime = 0" "bounce_queue_lifetime = 0" "queue_run_delay = 1s" \
  "minimal_backoff_time = 1s" "maximal_backoff_time = 2s" "smtputf8_enable = no" \
  "maillog_file = /var/log/fw-postfix.log" "compatibility_level = 3.6"
postconf -MX smtp/inet 2>/dev/null || true
postconf -Me "127.0.0.1:10025/inet = 127.0.0.1:10025 inet n - n - - smtpd"
# Daemons get no stdio of ours: a pipe they hold open would keep the caller waiting.
if postfix status >/dev/null 2>&1; then postfix reload </dev/null >/dev/null 2>&1; else postfix start </dev/null >/dev/null 2>&1; fi

# ---------------------------------------------------------------------------------------------
# Exim, unpacked from Debian's package (not installed: it conflicts with Postfix)
if [ ! -x "$EXIM_ROOT/usr/sbin/exim4" ]; then
  work=$(mktemp -d)
  (cd "$work" && apt-get download exim4-daemon-light exim4-base >/dev/null 2>&1) || { apt-get update -qq; (cd "$work" && apt-get download exim4-daemon-light exim4-base >/dev/null); }
  mkdir -p "$EXIM_ROOT"
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$EXIM_ROOT"; done
  rm -rf "$work"
fi
mkdir -p "$BASE/exim/spool" "$BASE/exim/log"
chown -R fwmail:fwmail "$BASE/exim"
cat > "$CONF/exim.conf.new" <<CFG
primary_hostname = mx-exim.fw.test
pid_file_path = $BASE/exim/exim.pid
qualify_domain = fw.test
spool_directory = $BASE/exim/spool
log_file_path = $BASE/exim/log/%slog
exim_user = fwmail
exim_group = fwmail
never_users = root
trusted_users = fwmail
local_interfaces = 127.0.0.1
daemon_smtp_ports = 10026
host_lookup =
rfc1413_hosts =
acl_smtp_rcpt = acl_check_rcpt
domainlist bounce_domains = bounces.fw.test
domainlist relay_to_domains = hard.fw.test : soft.fw.test : ok.fw.test
hostlist relay_from_hosts = 127.0.0.1
timeout_frozen_after = 1m
ignore_bounce_errors_after = 0s

begin acl
acl_check_rcpt:
  accept hosts = +relay_from_hosts
  deny

begin routers
hard:
  driver = redirect
  domains = hard.fw.test
  data = :fail: Unrouteable address: 550 5.1.1 <\$local_part@\$domain>: Recipient address rejected: User unknown
  allow_fail
soft:
  driver = redirect
  domains = soft.fw.test
  data = :fail: 452 4.2.2 <\$local_part@\$domain>: mailbox full, quota exceeded
  allow_fail
ok:
  driver = redirect
  domains = ok.fw.test
  data = :blackhole:
bounces:
  driver = accept
  domains = +bounce_domains
  local_part_suffix = +*
  local_part_suffix_optional
  local_parts = bounces
  transport = maildir

begin transports
maildir:
  driver = appendfile
  directory = $BASE/exim/bounces
  maildir_format
  create_directory
  delivery_date_add
  envelope_to_add
  return_path_add
  user = fwmail
  group = fwmail
  mode = 0640

begin retry
*  *  F,1m,10s
CFG
# A changed config restarts the daemon (started by this script, so its pid file names it).
if ! cmp -s "$CONF/exim.conf.new" "$CONF/exim.conf"; then
  mv "$CONF/exim.conf.new" "$CONF/exim.conf"
  if [ -s "$BASE/exim/exim.pid" ]; then
    kill "$(cat "$BASE/exim/exim.pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do listening 10026 || break; sleep 0.1; done
  fi
else
  rm -f "$CONF/exim.conf.new"
fi
# Exim re-executes itself by its build-time path for every delivery.
[ -e /usr/sbin/exim4 ] || ln -s "$EXIM_ROOT/usr/sbin/exim4" /usr/sbin/exim4
if ! listening 10026; then
  /usr/sbin/exim4 -C "$CONF/exim.conf" -bd -q10s </dev/null >/dev/null 2>&1
fi

# ---------------------------------------------------------------------------------------------
# Dovecot with its own config (the system one is left alone)
if [ ! -s "$CONF/imap.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=127.0.0.1" -keyout "$CONF/imap.key" -out "$CONF/imap.pem" >/dev/null 2>&1
  chmod 600 "$CONF/imap.key"
fi
echo "bounces:{PLAIN}fw-imap-test:$uid:$gid::$BASE/dovecot/bounces" > "$CONF/dovecot-users"
cat > "$CONF/dovecot.conf" <<CFG
base_dir = /run/fw-dovecot
instance_name = fw-dovecot
protocols = imap
listen = 127.0.0.1
log_path = $BASE/dovecot.log
ssl = required
ssl_cert = <$CONF/imap.pem
ssl_key = <$CONF/imap.key
disable_plaintext_auth = yes
auth_mechanisms = plain login
first_valid_uid = $uid
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $CONF/dovecot-users
}
userdb {
  driver = passwd-file
  args = username_format=%n $CONF/dovecot-users
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = 10993
    ssl = yes
  }
}
CFG
if ! listening 10993; then dovecot -c "$CONF/dovecot.conf" </dev/null >/dev/null 2>&1; fi

for port in 10025 10026 10993; do
  for _ in $(seq 1 50); do listening "$port" && break; sleep 0.1; done
  listening "$port" || { echo "mail server on 127.0.0.1:$port did not start" >&2; exit 1; }
done
echo "mail servers up: postfix 127.0.0.1:10025, exim 127.0.0.1:10026, dovecot imaps 127.0.0.1:10993"
