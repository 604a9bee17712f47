#!/bin/sh
# Fill the @NAME@ placeholders of dialplan/ from the environment (as `konform sandbox` does)
# and run Asterisk in the foreground. Refuses to start without strong ARI/AMI passwords.
set -eu
for var in ARI_PASSWORD AMI_PASSWORD; do
    eval "value=\${$var:-}"
    case "$value" in
        ""|asterisk|secret|password|changeme) echo "refusing to start: set a strong $var" >&2; exit 2 ;;
    esac
done
: "${INSTANCE:=pbx}" "${HTTP_PORT:=8088}" "${SIP_PORT:=5060}" "${AMI_PORT:=5038}"
: "${RTP_START:=10000}" "${RTP_END:=10999}" "${ARI_USER:=konform}" "${AMI_USER:=konform}"
: "${HOST:=127.0.0.1}" "${TRUNK_PORT:=5060}" "${PHONES_HOST:=127.0.0.1}" "${PHONES_PORT:=5062}"
: "${AGI_HOST:=127.0.0.1}" "${AGI_PORT:=4573}" "${OPTOUT_LINE:?set OPTOUT_LINE, the opt-out number}"
: "${AGENT_DIAL:?set AGENT_DIAL, e.g. PJSIP/agent1&PJSIP/agent2}" "${AGENT_CAMPAIGN:?set AGENT_CAMPAIGN}"
: "${TRUNK_HOST:?set TRUNK_HOST to the SIP provider's address}"
export INSTANCE HTTP_PORT SIP_PORT AMI_PORT RTP_START RTP_END ARI_USER AMI_USER
export HOST TRUNK_HOST TRUNK_PORT PHONES_HOST PHONES_PORT AGI_HOST AGI_PORT OPTOUT_LINE
export AGENT_DIAL AGENT_CAMPAIGN
etc=/etc/konform/$INSTANCE
mkdir -p "$etc" /var/lib/konform/$INSTANCE/keys /var/spool/konform/$INSTANCE \
    /run/konform/$INSTANCE /var/log/konform/$INSTANCE /var/cache/konform/$INSTANCE
cp -a /etc/asterisk/. "$etc/"
for f in /opt/konform/dialplan/common/*.conf /opt/konform/dialplan/$INSTANCE/*.conf; do
    perl -pe 's/@([A-Z][A-Z0-9_]*)@/exists $ENV{$1} ? $ENV{$1} : die "$ARGV: no value for \@$1\@\n"/ge' \
        "$f" > "$etc/$(basename "$f")"
done
exec asterisk -f -C "$etc/asterisk.conf"
