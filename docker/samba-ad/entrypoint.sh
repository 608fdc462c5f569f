#!/bin/sh
# Provisions the domain once (into the volume), with a TLS certificate for the name "samba-ad"
# signed by a CA that Passgate reads from the shared volume, then runs the DC in the foreground.
set -eu
realm="${SAMBA_REALM:-EXAMPLE.TEST}"
domain="${SAMBA_DOMAIN:-EXAMPLE}"
tls=/var/lib/samba/private/tls
if [ ! -f /var/lib/samba/private/sam.ldb ]; then
  samba-tool domain provision --realm="$realm" --domain="$domain" --server-role=dc \
    --dns-backend=SAMBA_INTERNAL --use-rfc2307 --adminpass="${SAMBA_ADMIN_PASSWORD:?set SAMBA_ADMIN_PASSWORD}"
  mkdir -p "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Passgate test CA" \
    -keyout "$tls/ca-key.pem" -out "$tls/ca.pem"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=samba-ad" -keyout "$tls/key.pem" -out "$tls/req.pem"
  printf 'subjectAltName=DNS:samba-ad,DNS:localhost,IP:127.0.0.1\n' > "$tls/san.ext"
  openssl x509 -req -in "$tls/req.pem" -CA "$tls/ca.pem" -CAkey "$tls/ca-key.pem" -CAcreateserial \
    -days 3650 -extfile "$tls/san.ext" -out "$tls/cert.pem"
  chmod 600 "$tls/key.pem" "$tls/ca-key.pem"
  chmod 644 "$tls/ca.pem"
  sed -i "/\[global\]/a \\\ttls enabled = yes\n\ttls keyfile = $tls/key.pem\n\ttls certfile = $tls/cert.pem\n\ttls cafile = $tls/ca.pem" /etc/samba/smb.conf
fi
exec samba -i -M single
