#!/usr/bin/env bash
# Installs what the tests and the example need beyond the .NET SDK, on Debian/Ubuntu:
#   python3-numpy      real NumPy for the interop tests (at /usr/bin/python3)
#   python3-torch      real PyTorch, whose sampler orders the tests compare against
#   dataset-fashion-mnist  the Fashion-MNIST IDX files the example trains on
#   bible-kjv          the King James Bible (its 'bible' command prints it) the GPT example trains on
#   openmpi-bin        Open MPI's mpirun, which starts the multi-process launcher test
# Idempotent: does nothing when everything is present.
set -euo pipefail

need=()
/usr/bin/python3 -c "import numpy" 2>/dev/null || need+=(python3-numpy)
/usr/bin/python3 -c "import torch" 2>/dev/null || need+=(python3-torch)
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || need+=(dataset-fashion-mnist)
command -v bible >/dev/null 2>&1 || need+=(bible-kjv)
command -v mpirun >/dev/null 2>&1 || need+=(openmpi-bin)
[ ${#need[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: please install ${need[*]} (Debian package names) with your package manager" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}"
