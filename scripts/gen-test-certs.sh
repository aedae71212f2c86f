#!/bin/sh
# Test PKI for nebius-sim and the integration tests.
# Usage: scripts/gen-test-certs.sh OUTDIR
# Idempotent: files that already exist are kept, so repeated runs are instant.
#   ca.pem/ca.key                       test CA the clients trust
#   server.pem/server.key               SAN localhost + 127.0.0.1, signed by ca
#   otherca.pem/otherca.key             a second CA nobody trusts
#   server-otherca.pem/.key             SAN localhost + 127.0.0.1, signed by otherca (trust failure)
#   server-wronghost.pem/.key           SAN wrong.example.com only, signed by ca (hostname mismatch)
#   service-account.key                 RSA 2048 PKCS#8 key of nebius-sim's preset service account
#                                       (made here so the sim need not generate one at every start)
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
out=$1
mkdir -p "$out"
umask 077

DAYS=30

# Quiet on success; on failure show what openssl said.
run() {
    if ! log=$("$@" 2>&1); then
        echo "gen-test-certs.sh: $1 failed: $log" >&2
        exit 1
    fi
}

make_ca() { # name subject
    [ -s "$out/$1.pem" ] && [ -s "$out/$1.key" ] && return 0
    run openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$DAYS" \
        -keyout "$out/$1.key" -out "$out/$1.pem" -subj "/CN=$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign"
}

make_leaf() { # name ca san
    # Keep an existing leaf only while it still chains to its (possibly regenerated) CA.
    if [ -s "$out/$1.pem" ] && [ -s "$out/$1.key" ] &&
        openssl verify -CAfile "$out/$2.pem" "$out/$1.pem" >/dev/null 2>&1; then
        return 0
    fi
    ext=$(mktemp)
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$3" >"$ext"
    run openssl req -newkey rsa:2048 -nodes -sha256 -keyout "$out/$1.key" \
        -out "$out/$1.csr" -subj "/CN=nebius-sim"
    run openssl x509 -req -in "$out/$1.csr" -CA "$out/$2.pem" -CAkey "$out/$2.key" \
        -CAcreateserial -CAserial "$out/$2.srl" -days "$DAYS" -sha256 \
        -extfile "$ext" -out "$out/$1.pem"
    rm -f "$ext" "$out/$1.csr"
}

make_sa_key() { # name
    # Keep an existing key only while it is still an RSA key of 2048 bits or
    # more (what the sim accepts); anything else is made anew.
    if [ -s "$out/$1.key" ] && openssl rsa -in "$out/$1.key" -noout -text 2>/dev/null |
        grep -qE 'Private-Key: \((2048|3072|4096) bit'; then
        return 0
    fi
    # Written under a temporary name and moved, so an interrupted run leaves no half key.
    run openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out/$1.key.tmp"
    mv "$out/$1.key.tmp" "$out/$1.key"
}

make_ca ca "nebius-sim test CA"
make_ca otherca "nebius-sim other CA"
make_leaf server ca "DNS:localhost,IP:127.0.0.1"
make_leaf server-otherca otherca "DNS:localhost,IP:127.0.0.1"
make_leaf server-wronghost ca "DNS:wrong.example.com"
make_sa_key service-account
# Certificates are public; keys stay 0600.
chmod 644 "$out"/*.pem
