#!/bin/sh
# Fill the @NAME@ placeholders of konform's Asterisk configs from the environment (as `konform
# sandbox` does) and run Asterisk in the foreground. Configs: dialplan/common, dialplan/pbx
# (dialplan, HTTP, RTP), then docker/asterisk (AMI off, ARI with a crypt hash, prometheus,
# security log); the trunk and agents from docker/asterisk/pjsip.conf (TRUNK_PROFILE=carrier)
# or the loopback template dialplan/pbx/pjsip.conf (TRUNK_PROFILE=loopback: the sandbox's far
# end, used by scripts/docker-test). Refuses weak secrets with konform's own rule
# (konform.config.require_secret: not a well-known default, at least 12 characters).
set -eu
weak() {  # the list of konform.config.DEFAULT_PASSWORDS (tests/unit/test_deploy.py keeps it equal)
    lower=$(printf %s "$1" | tr '[:upper:]' '[:lower:]' | sed 's/^[[:space:]]*//;s/[[:space:]]*$//')
    case "$lower" in
        ""|asterisk|secret|password|changeme|admin|1234|amp111|konform) return 0 ;;
    esac
    [ "${#1}" -lt 12 ]
}
refuse() { echo "asterisk-entrypoint: refusing to start: $*" >&2; exit 2; }
: "${TRUNK_PROFILE:=carrier}" "${AMI_ENABLED:=no}" "${PROMETHEUS_ENABLED:=no}"
weak "${ARI_PASSWORD:-}" && refuse "ARI_PASSWORD is empty, a default or shorter than 12 characters"
if [ "$AMI_ENABLED" = yes ]; then
    weak "${AMI_PASSWORD:-}" && refuse "AMI_PASSWORD is empty, a default or shorter than 12 characters"
else
    AMI_PASSWORD=disabled-ami-has-no-login
fi
: "${INSTANCE:=pbx}" "${HTTP_PORT:=8088}" "${SIP_PORT:=5060}" "${SIP_TLS_PORT:=5061}" "${AMI_PORT:=5038}"
: "${RTP_START:=10000}" "${RTP_END:=14999}" "${ARI_USER:=konform}" "${AMI_USER:=monitor}"
: "${HOST:=127.0.0.1}" "${TRUNK_PORT:=5060}" "${PHONES_HOST:=127.0.0.1}" "${PHONES_PORT:=5062}"
: "${AGI_HOST:=127.0.0.1}" "${AGI_PORT:=4573}" "${OPTOUT_LINE:?set OPTOUT_LINE, the opt-out number}"
: "${AGENTS:?set AGENTS, the agents' endpoints: agent1,agent2}" "${AGENT_CAMPAIGN:?set AGENT_CAMPAIGN}"
: "${TRUNK_HOST:?set TRUNK_HOST to the SIP provider's address}"
: "${MEDIA_GID:=10001}" "${SECRETS_DIR:=/var/lib/konform/secrets}"
AGENT_DIAL=$(printf %s "$AGENTS" | sed 's/[[:space:]]//g; s/^/PJSIP\//; s/,/\&PJSIP\//g')
if [ "$TRUNK_PROFILE" = carrier ]; then
    : "${TRUNK_USER:?set TRUNK_USER (the carrier account)}" "${TRUNK_DOMAIN:?set TRUNK_DOMAIN}"
    : "${EXTERNAL_ADDRESS:?set EXTERNAL_ADDRESS, the public address the carrier sees}"
    : "${TRUNK_TRANSPORT:=transport-udp}" "${TRUNK_MEDIA_ENCRYPTION:=no}" "${SIP_BIND:=0.0.0.0}"
    : "${LOCAL_NET:=127.0.0.0/8}" "${AGENTS_NET:=127.0.0.1/32}"
    [ -n "${TRUNK_PASSWORD:-}" ] || refuse "set TRUNK_PASSWORD (the carrier account's password)"
    if [ "$TRUNK_TRANSPORT" = transport-tls ] && [ ! -r /etc/konform/tls/cert.pem ]; then
        refuse "TRUNK_TRANSPORT=transport-tls needs /etc/konform/tls/cert.pem and key.pem"
    fi
    export TRUNK_USER TRUNK_DOMAIN EXTERNAL_ADDRESS TRUNK_TRANSPORT TRUNK_MEDIA_ENCRYPTION
    export SIP_BIND LOCAL_NET AGENTS_NET TRUNK_PASSWORD
elif [ "$TRUNK_PROFILE" != loopback ]; then
    refuse "TRUNK_PROFILE must be carrier or loopback, not $TRUNK_PROFILE"
fi
# ARI's password as a crypt(3) SHA-512 hash (perl's crypt is glibc's): no plain copy in /etc.
salt=$(perl -e 'my @c = ("a".."z", "A".."Z", 0..9, ".", "/"); open my $r, "<", "/dev/urandom"; read $r, my $b, 16; print map { $c[ord($_) % 64] } split //, $b')
ARI_PASSWORD_CRYPT=$(perl -e 'print crypt($ENV{ARI_PASSWORD}, "\$6\$" . $ARGV[0] . "\$")' "$salt")
case "$ARI_PASSWORD_CRYPT" in '$6$'*) ;; *) refuse "this libc cannot make SHA-512 crypt hashes" ;; esac
export INSTANCE HTTP_PORT SIP_PORT SIP_TLS_PORT AMI_PORT RTP_START RTP_END ARI_USER AMI_USER
export HOST TRUNK_HOST TRUNK_PORT PHONES_HOST PHONES_PORT AGI_HOST AGI_PORT OPTOUT_LINE
export AGENT_DIAL AGENT_CAMPAIGN AMI_ENABLED AMI_PASSWORD PROMETHEUS_ENABLED ARI_PASSWORD_CRYPT
etc=/etc/konform/$INSTANCE
spool=/var/spool/konform/$INSTANCE
mkdir -p "$etc" /var/lib/konform/$INSTANCE/keys "$spool/recording" /run/konform/$INSTANCE \
    /var/log/konform/$INSTANCE /var/cache/konform/$INSTANCE
# Recordings are shared with the app (which moves them into its store and erases them): the
# app's group owns the folder, setgid, group-writable.
chgrp "$MEDIA_GID" "$spool/recording" && chmod 2770 "$spool/recording"
rm -rf "${etc:?}"/* && cp -a /etc/asterisk/. "$etc/"
render() {
    perl -pe 's/@([A-Z][A-Z0-9_]*)@/exists $ENV{$1} ? $ENV{$1} : die "$ARGV: no value for \@$1\@\n"/ge' "$1" > "$etc/$(basename "$1")"
}
for f in /opt/konform/dialplan/common/*.conf /opt/konform/dialplan/$INSTANCE/*.conf \
         /opt/konform/docker/asterisk/*.conf; do
    case "$TRUNK_PROFILE:$f" in
        carrier:/opt/konform/dialplan/*/pjsip.conf|loopback:/opt/konform/docker/asterisk/pjsip.conf) continue ;;
    esac
    render "$f"
done
# The agents (carrier profile): SIP authentication with a password generated once, kept in the
# secrets volume (root only), never in the repository or the image.
if [ "$TRUNK_PROFILE" = carrier ]; then
    mkdir -p "$SECRETS_DIR" && chmod 700 "$SECRETS_DIR"
    for agent in $(printf %s "$AGENTS" | tr ',' ' '); do
        file="$SECRETS_DIR/sip-$agent"
        [ -s "$file" ] || (umask 077; perl -e 'open my $r, "<", "/dev/urandom"; read $r, my $b, 18; my @c = ("a".."z", "A".."Z", 0..9); print map { $c[ord($_) % 62] } split //, $b' > "$file"; \
            echo "asterisk-entrypoint: generated the SIP password of $agent in $file" >&2)
        printf '\n[%s](agent)\nauth = %s\naors = %s\n[%s](agent-auth)\nusername = %s\npassword = %s\n[%s](agent-aor)\n' \
            "$agent" "$agent" "$agent" "$agent" "$agent" "$(cat "$file")" "$agent" >> "$etc/pjsip.conf"
    done
    chmod 600 "$etc/pjsip.conf"
fi
# Modules: wherever the package of this machine's architecture put them.
moddir=$(ls -d /usr/lib/*/asterisk/modules /usr/lib/asterisk/modules 2>/dev/null | head -n 1)
[ -n "$moddir" ] || refuse "no Asterisk modules folder under /usr/lib"
sed -i "s|^astmoddir => .*|astmoddir => $moddir|" "$etc/asterisk.conf"
if [ "$PROMETHEUS_ENABLED" = yes ]; then
    sed -i '/^noload = res_prometheus.so$/d' "$etc/modules.conf"
fi
unset ARI_PASSWORD AMI_PASSWORD TRUNK_PASSWORD
exec asterisk -f -C "$etc/asterisk.conf"
