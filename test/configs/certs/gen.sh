#!/usr/bin/env bash
# Makes the test certificates in this folder (committed, so tests need no
# openssl command). Rerun to replace them all; nothing here is a secret.
#   ca.pem                       test CA (ca-key.pem)
#   server-cert.pem / -key.pem   server: DNS localhost, IP 127.0.0.1 and ::1;
#                                client use too, as gnatsd's own (no EKU):
#                                seed_tls.conf's routes present it both ways
#   server.pem / key.pem         the same pair under the names gnatsd's
#                                server/configs use
#   cert.new.pem / key.new.pem   a second server pair (reload tests)
#   client-cert.pem / -key.pem   client certificate from ca.pem
#   srva-*, srvb-*               route certificates (client and server use)
#   server-iponly-cert.pem/-key  IP 127.0.0.1 only, no DNS name at all
#   server-expired-cert.pem/-key expired in 2020
#   other-ca.pem                 an unrelated CA (other-ca-key.pem), and
#   client-other-cert.pem/-key   a client certificate it signed
set -euo pipefail
cd "$(dirname "$0")"
DAYS=36500
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ca() { # name subject
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days $DAYS -subj "$2" \
    -keyout "$1-key.pem" -out "$1.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
leaf() { # out-prefix cn san eku ca
  local ext="$tmp/$1.ext"
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$4"
    [ -n "$3" ] && echo "subjectAltName=$3"
  } >"$ext"
  openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=$2/O=gnatsd-cpp tests" \
    -keyout "$1-key.pem" -out "$tmp/$1.csr" 2>/dev/null
  openssl x509 -req -in "$tmp/$1.csr" -CA "$5.pem" -CAkey "$5-key.pem" -CAcreateserial \
    -CAserial "$tmp/$5.srl" -days $DAYS -sha256 -extfile "$ext" -out "$1-cert.pem" 2>/dev/null
}

ca ca "/CN=gnatsd-cpp test CA/O=gnatsd-cpp tests"
ca other-ca "/CN=gnatsd-cpp other CA/O=gnatsd-cpp tests"
leaf server localhost "DNS:localhost,IP:127.0.0.1,IP:::1" "serverAuth,clientAuth" ca
cp server-cert.pem server.pem
cp server-key.pem key.pem
leaf new localhost "DNS:localhost,IP:127.0.0.1,IP:::1" serverAuth ca
mv new-cert.pem cert.new.pem
mv new-key.pem key.new.pem
leaf client "test client" "email:client@example.test" clientAuth ca
leaf srva "srva" "DNS:localhost,IP:127.0.0.1" "serverAuth,clientAuth" ca
leaf srvb "srvb" "DNS:localhost,IP:127.0.0.1" "serverAuth,clientAuth" ca
leaf server-iponly "127.0.0.1" "IP:127.0.0.1" serverAuth ca
leaf client-other "other client" "" clientAuth other-ca

# Expired: `openssl ca` is the one subcommand that takes explicit dates.
mkdir -p "$tmp/ca"
touch "$tmp/ca/index.txt"
cat >"$tmp/ca.cnf" <<CNF
[ca]
default_ca = test
[test]
dir = $tmp/ca
database = $tmp/ca/index.txt
new_certs_dir = $tmp/ca
serial = $tmp/ca/serial
default_md = sha256
policy = any
copy_extensions = none
x509_extensions = leaf
[any]
commonName = supplied
organizationName = optional
[leaf]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
CNF
echo 1000 >"$tmp/ca/serial"
openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=localhost/O=gnatsd-cpp tests" \
  -keyout server-expired-key.pem -out "$tmp/expired.csr" 2>/dev/null
openssl ca -batch -config "$tmp/ca.cnf" -cert ca.pem -keyfile ca-key.pem -in "$tmp/expired.csr" \
  -startdate 20200101000000Z -enddate 20200102000000Z -out server-expired-cert.pem -notext 2>/dev/null
echo "certificates written to $(pwd)"
