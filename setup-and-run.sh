#!/usr/bin/env bash
# LLMPlan quick start: installs the system libraries the package links (LAPACK and BLAS)
# when they are missing, builds the release binary and runs the main job.
#
#   ./setup-and-run.sh                 # the main job: `llmplan recommend` for the built-in scenario
#   ./setup-and-run.sh models --json   # any other llmplan command line
set -euo pipefail
cd "$(dirname "$0")"

missing=()
if command -v dpkg >/dev/null 2>&1; then
  for package in liblapack-dev libblas-dev; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
fi
if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "Installing ${missing[*]} ..." >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "swift not found: install a Swift 6 toolchain (https://www.swift.org/install/linux/) and rerun." >&2
  exit 1
fi

swift build -c release --product llmplan
if (($#)); then
  swift run -c release --skip-build llmplan "$@"
else
  # The main job: plan the built-in scenario (Llama-2-13B on 8 × A100-40GB, mixed traffic at
  # 6 req/s under a TTFT/TPOT SLO): every layout scored, the best simulated, the report written
  # to Reports/llama-2-13b-a100-40gb-mixed.md.
  swift run -c release --skip-build llmplan recommend
fi
