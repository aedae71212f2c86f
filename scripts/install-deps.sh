#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the demo need, when
# missing. Idempotent; prints nothing when everything is present.
set -euo pipefail

packages=(
  build-essential pkg-config make git
  libgrpc-dev protobuf-c-compiler libprotobuf-c-dev protobuf-compiler libprotobuf-dev
  libssl-dev openssl libjwt-dev libjansson-dev libyaml-dev check
  python3 python3-grpcio python3-protobuf python3-cryptography
  openssh-client valgrind
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
