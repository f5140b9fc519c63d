#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Regenerate vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
# The result is committed, so that a build needs neither the running kernel's headers nor its BTF.
# Usage: scripts/gen-vmlinux.sh [ARCH]   (default: x86)
set -euo pipefail
arch=${1:-x86}
top=$(cd "$(dirname "$0")/.." && pwd)
btf=/sys/kernel/btf/vmlinux
[ -r "$btf" ] || { echo "gen-vmlinux: $btf is missing: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF=y)" >&2; exit 3; }
mkdir -p "$top/vmlinux/$arch"
out="$top/vmlinux/$arch/vmlinux.h"
bpftool btf dump file "$btf" format c > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out from $btf (kernel $(uname -r))"
