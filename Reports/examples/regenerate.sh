#!/usr/bin/env bash
# Regenerates the example reports of the reference scenarios (README.md, "Reference
# scenarios"), from a release build, in about half a minute. Run from anywhere; the commands
# run from the repository root, so the reports' paths and their "Regenerate with" lines are the
# same on every machine.
# A test (PlannerTests.ReportTests.checkedInExampleRegeneratesByteForByte) rebuilds
# 7b-tp-scaling.md and .json and checks they are byte-identical to the checked-in files.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product llmplan >&2
llmplan=.build/release/llmplan
for name in default 13b-pp-kv 7b-dp-scaling 175b-mixed disagg-wins disagg-loses; do
  echo "recommend: $name" >&2
  "$llmplan" recommend --scenario "Reports/examples/$name.yaml" --report "Reports/examples/$name.md" > /dev/null
done
# Mixture-of-experts and quantized models (issue 13): EP and precision searched. These may end
# with exit 4 (no layout meets the SLO) without stopping the script.
for name in mixtral-8x7b qwen3-30b-a3b deepseek-v3-h200 awq-int4-a100; do
  echo "recommend: $name" >&2
  "$llmplan" recommend --scenario "Reports/examples/$name.yaml" --report "Reports/examples/$name.md" > /dev/null \
    || test $? -eq 4
done
# The built-in question also as one self-contained HTML file (inline SVG charts).
echo "recommend: default (html)" >&2
"$llmplan" recommend --scenario Reports/examples/default.yaml --report Reports/examples/default.html > /dev/null
# One example also as JSON, the sample for programs (--json prints the same content).
echo "recommend: 7b-tp-scaling" >&2
"$llmplan" recommend --scenario Reports/examples/7b-tp-scaling.yaml --report Reports/examples/7b-tp-scaling.md --json \
  > Reports/examples/7b-tp-scaling.json
# Hardware and money: four GPU types compared at list prices, growth from 10 to 40 req/s.
echo "recommend: which-gpu" >&2
"$llmplan" recommend --scenario Reports/examples/which-gpu.yaml \
  --gpu a100-80gb-sxm,h100-80gb-sxm,h200-141gb-sxm,l40s-48gb-pcie --rate 10..40 \
  --report Reports/examples/which-gpu.md > /dev/null || test $? -eq 4
echo "recommend: which-gpu (html)" >&2
"$llmplan" recommend --scenario Reports/examples/which-gpu.yaml \
  --gpu a100-80gb-sxm,h100-80gb-sxm,h200-141gb-sxm,l40s-48gb-pcie --rate 10..40 \
  --report Reports/examples/which-gpu.html > /dev/null || test $? -eq 4
# The report setup-and-run.sh writes (the built-in question, default path).
echo "recommend: built-in question" >&2
"$llmplan" recommend > /dev/null
echo "validate: load-sweep" >&2
"$llmplan" validate --scenario Reports/examples/7b-dp-scaling.yaml --layouts 1x1x1,1x1x2,1x1x4 \
  --rates 3,5,10,20,30,40,50 --report Reports/examples/load-sweep.md > /dev/null
