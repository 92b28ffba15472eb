#!/usr/bin/env bash
# Generates the Python gRPC code for proto/kubemail/v1/*.proto into $1 (default services/gen).
set -euo pipefail
out=${1:-services/gen}
py=${PYTHON:-python3}
mkdir -p "$out"
rm -rf "$out/kubemail"
"$py" -m grpc_tools.protoc -I proto --python_out="$out" --pyi_out="$out" --grpc_python_out="$out" proto/kubemail/v1/*.proto
# Generated modules import each other as "kubemail.v1"; they live in services.gen.kubemail.v1.
sed -i 's/^from kubemail\.v1 import/from services.gen.kubemail.v1 import/' "$out"/kubemail/v1/*.py "$out"/kubemail/v1/*.pyi
touch "$out/__init__.py" "$out/kubemail/__init__.py" "$out/kubemail/v1/__init__.py"
