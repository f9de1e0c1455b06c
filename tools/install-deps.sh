#!/usr/bin/env bash
# Installs every Debian package that building, testing and the lab demo need.
# Idempotent: packages already present are left alone.
set -euo pipefail

packages=(
	# build
	build-essential cmake pkg-config clang llvm lld bpftool
	libbpf-dev libelf-dev zlib1g-dev libmnl-dev libfmt-dev libspdlog-dev
	libsystemd-dev nlohmann-json3-dev libcli11-dev libasio-dev libcpp-httplib-dev
	libgtest-dev libgmock-dev libclang-rt-14-dev
	# tests and the lab
	iproute2 iputils-ping ethtool nftables procps psmisc socat util-linux kmod
	bird2 gobgpd wireguard-go wireguard-tools tshark bgpdump bzip2 gzip python3
	# packaging
	dpkg-dev fakeroot systemd man-db
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#packages[@]} packages present"
	exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"

# The packaged daemons must not run as system services here: tests start their own.
for svc in bird gobgpd; do
	systemctl disable --now "$svc" >/dev/null 2>&1 || true
	pkill -x "$svc" >/dev/null 2>&1 || true
done
