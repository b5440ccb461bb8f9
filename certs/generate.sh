#!/bin/sh
# Regenerates the demo PKI in this directory with the openssl CLI (OpenSSL 3.0 or later).
# Every certificate is valid for twenty years from today, except expired-client.pem, which
# ended in 2021 on purpose. The CA private keys live only in a temporary directory.
#
#   sh certs/generate.sh
set -eu

cd "$(dirname "$0")"
DAYS=7305
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cat > "$WORK/ext.cnf" <<'EOF'
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[intermediate]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF

# key FILE ALGORITHM [OPTIONS...]: a PKCS#8 private key.
key() {
  out=$1; shift
  openssl genpkey -out "$out" "$@" 2>/dev/null
}

# issue NAME SUBJECT SECTION KEY CA_CERT CA_KEY: a certificate signed by the given CA.
issue() {
  openssl req -new -key "$4" -subj "$2" -out "$WORK/$1.csr"
  openssl x509 -req -in "$WORK/$1.csr" -CA "$5" -CAkey "$6" -days $DAYS -sha256 \
    -set_serial "0x$(openssl rand -hex 16)" -extfile "$WORK/ext.cnf" -extensions "$3" \
    -out "$WORK/$1.crt" 2>/dev/null
}

# The root and the intermediate (ECDSA P-256).
key "$WORK/ca.key" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
openssl req -new -x509 -key "$WORK/ca.key" -subj "/O=tls13/CN=tls13 Demo Root CA" -days $DAYS \
  -sha256 -set_serial "0x$(openssl rand -hex 16)" -config "$WORK/ext.cnf" -extensions root \
  -out ca.pem 2>/dev/null
key "$WORK/ica.key" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
issue ica "/O=tls13/CN=tls13 Demo Intermediate CA" intermediate "$WORK/ica.key" ca.pem "$WORK/ca.key"
cp "$WORK/ica.crt" intermediate.pem

# leaf NAME SUBJECT SECTION KEYFILE: leaf then intermediate in NAME.pem.
leaf() {
  issue "$1" "$2" "$3" "$4" intermediate.pem "$WORK/ica.key"
  cat "$WORK/$1.crt" intermediate.pem > "$1.pem"
}

key server-key.pem -algorithm EC -pkeyopt ec_paramgen_curve:P-256
leaf server "/O=tls13/CN=localhost" server server-key.pem

key server-rsa-key.pem -algorithm RSA -pkeyopt rsa_keygen_bits:2048
leaf server-rsa "/O=tls13/CN=localhost" server server-rsa-key.pem

# An RSASSA-PSS key (OID id-RSASSA-PSS), which signs with rsa_pss_pss_* schemes.
key server-rsa-pss-key.pem -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048
leaf server-rsa-pss "/O=tls13/CN=localhost" server server-rsa-pss-key.pem

key server-ed25519-key.pem -algorithm ED25519
leaf server-ed25519 "/O=tls13/CN=localhost" server server-ed25519-key.pem

key server-ed448-key.pem -algorithm ED448
leaf server-ed448 "/O=tls13/CN=localhost" server server-ed448-key.pem

# The ECDSA client key is in SEC1 form ("EC PRIVATE KEY"), as openssl ecparam writes it.
openssl ecparam -name prime256v1 -genkey -noout -out client-ecdsa-key.pem
leaf client-ecdsa "/O=tls13/CN=tls13 Demo Client (ECDSA)" client client-ecdsa-key.pem

# The RSA client key is in PKCS#1 form ("RSA PRIVATE KEY").
openssl genrsa -traditional -out client-rsa-key.pem 2048 2>/dev/null
leaf client-rsa "/O=tls13/CN=tls13 Demo Client (RSA)" client client-rsa-key.pem

key client-ed25519-key.pem -algorithm ED25519
leaf client-ed25519 "/O=tls13/CN=tls13 Demo Client (Ed25519)" client client-ed25519-key.pem

# Another CA, which no demo peer trusts, and a client it issued.
key "$WORK/other.key" -algorithm EC -pkeyopt ec_paramgen_curve:P-256
openssl req -new -x509 -key "$WORK/other.key" -subj "/O=elsewhere/CN=Other Demo CA" -days $DAYS \
  -sha256 -set_serial "0x$(openssl rand -hex 16)" -config "$WORK/ext.cnf" -extensions root \
  -out other-ca.pem 2>/dev/null
key untrusted-client-key.pem -algorithm EC -pkeyopt ec_paramgen_curve:P-256
issue untrusted "/O=elsewhere/CN=Untrusted Demo Client" client untrusted-client-key.pem \
  other-ca.pem "$WORK/other.key"
cp "$WORK/untrusted.crt" untrusted-client.pem

# A client whose validity ended in 2021, issued by our intermediate. `openssl x509` cannot
# backdate, so this one goes through `openssl ca` with explicit dates.
mkdir "$WORK/ca-db"
: > "$WORK/ca-db/index.txt"
cat > "$WORK/ca.cnf" <<EOF
[ca]
default_ca = demo
[demo]
dir = $WORK/ca-db
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
default_md = sha256
policy = any
copy_extensions = none
[any]
organizationName = optional
commonName = supplied
EOF
openssl rand -hex 16 > "$WORK/ca-db/serial"
key expired-client-key.pem -algorithm EC -pkeyopt ec_paramgen_curve:P-256
openssl req -new -key expired-client-key.pem -subj "/O=tls13/CN=tls13 Expired Demo Client" \
  -out "$WORK/expired.csr"
openssl ca -batch -notext -config "$WORK/ca.cnf" -cert intermediate.pem -keyfile "$WORK/ica.key" \
  -startdate 20200101000000Z -enddate 20210101000000Z -extfile "$WORK/ext.cnf" \
  -extensions client -in "$WORK/expired.csr" -out "$WORK/expired.crt" 2>/dev/null
cat "$WORK/expired.crt" intermediate.pem > expired-client.pem

chmod 644 ./*.pem
echo "demo PKI written to $(pwd)"
