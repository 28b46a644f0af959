#!/usr/bin/env python3
"""Time one decoder layer's kernels on your own GPU and write them in LLMPlan's measurement
format, so that `llmplan calibrate --measurements <file> --gpu <gpu>` fits the efficiency laws
to your hardware.

    python3 Tools/profile/llmplan_profile.py --model Models/llm/llama-3-8b.json --tp 1 \
        --out my-gpu.csv
    .build/release/llmplan calibrate --measurements my-gpu.csv --gpu h100-80gb-sxm --model llama-3-8b

What is timed, per tensor-parallel rank (the shapes one GPU of a TP group runs, Megatron-style
column/row splits as in LLMPlan's cost model): the QKV, output, MLP up and down projections
(GEMMs), the input and post-attention RMSNorm, the gated activation (SiLU x up) or GELU, the
residual add, the embedding gather, the LM head, and attention (prefill: causal
scaled-dot-product attention over the prompt; decode: one query per sequence against its
cached context). Collectives are not timed here: use NCCL's own nccl-tests
(https://github.com/NVIDIA/nccl-tests) and write `collective` rows by hand.

Timing: CUDA events around each kernel, after warm-up, the median of --repeats runs; the weights
of GEMMs are fresh tensors per case, as in serving, where every layer's weights stream from HBM.

Needs PyTorch with CUDA for timing. Everything else (the case plan, the CSV writer, argument
checks) is plain Python, so `--plan` runs anywhere and the tests need no GPU.
Exit codes: 0 ok, 1 bad input (message names the flag or field), 2 no CUDA GPU or no PyTorch.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
from dataclasses import dataclass
from typing import Callable, Iterable, List, Optional, Sequence

# The columns `llmplan calibrate` reads (Sources/Calibration/SimpleFormat.swift).
CSV_COLUMNS = ["kind", "name", "tokens", "tp", "context", "phase", "model", "seconds"]

DEFAULT_PREFILL_TOKENS = [1, 16, 64, 128, 256, 512, 1024, 2048, 4096]
DEFAULT_DECODE_BATCHES = [1, 4, 16, 64, 128, 256]
DEFAULT_DECODE_CONTEXT = 1024


class InputError(Exception):
    """Bad input: the message names the flag or field, the value and what is allowed."""


@dataclass(frozen=True)
class LayerShape:
    """The per-GPU dimensions of one decoder layer under tensor parallelism `tp`."""

    hidden: int
    head_dim: int
    query_heads: int  # per GPU
    kv_heads: int  # per GPU, at least one (replicated when TP exceeds the KV heads)
    mlp_inner: int  # per GPU
    gated: bool
    vocab_shard: int

    @property
    def qkv_columns(self) -> int:
        return (self.query_heads + 2 * self.kv_heads) * self.head_dim

    @property
    def mlp_up_columns(self) -> int:
        return (2 if self.gated else 1) * self.mlp_inner


def _field(config: dict, names: Sequence[str], source: str) -> int:
    for name in names:
        if name in config:
            value = config[name]
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise InputError(f"{source}: field {name} must be a positive integer, found {value!r}")
            return value
    raise InputError(f"{source}: missing field {names[0]}")


def layer_shape(config: dict, tp: int, source: str = "model") -> LayerShape:
    """Per-GPU shapes from a Hugging Face config.json (or an LLMPlan model file)."""
    if tp < 1:
        raise InputError(f"--tp must be at least 1, found {tp}")
    hidden = _field(config, ["hidden_size", "n_embd", "d_model"], source)
    heads = _field(config, ["num_attention_heads", "n_head"], source)
    kv_heads = config.get("num_key_value_heads", heads)
    if not isinstance(kv_heads, int) or kv_heads <= 0:
        raise InputError(f"{source}: field num_key_value_heads must be a positive integer, found {kv_heads!r}")
    inner = _field(config, ["intermediate_size", "n_inner", "ffn_dim"], source)
    vocab = _field(config, ["vocab_size"], source)
    head_dim = config.get("head_dim") or hidden // heads
    if heads % tp != 0:
        raise InputError(f"--tp {tp} does not divide the {heads} attention heads of {source}")
    if inner % tp != 0:
        raise InputError(f"--tp {tp} does not divide intermediate_size {inner} of {source}")
    activation = str(config.get("hidden_act", config.get("activation_function", "silu"))).lower()
    return LayerShape(
        hidden=hidden,
        head_dim=head_dim,
        query_heads=heads // tp,
        kv_heads=max(1, -(-kv_heads // tp)),
        mlp_inner=inner // tp,
        gated=activation in ("silu", "swiglu", "swish"),
        vocab_shard=-(-vocab // tp),
    )


@dataclass(frozen=True)
class KernelCase:
    """One kernel call to time: `tokens` new tokens (prefill) or sequences (decode)."""

    name: str
    phase: str  # "prefill" or "decode"
    tokens: int
    context: int  # tokens already cached per sequence (decode), 0 for a plain prefill


GEMM_AND_ELEMENTWISE = [
    "input_norm",
    "qkv_proj",
    "out_proj",
    "residual_add",
    "post_attention_norm",
    "mlp_up_proj",
    "mlp_act",
    "mlp_down_proj",
    "embedding",
    "lm_head",
]


def plan(prefill_tokens: Iterable[int], decode_batches: Iterable[int], decode_context: int) -> List[KernelCase]:
    """Every case to time, in a fixed order (so runs are comparable line by line)."""
    cases: List[KernelCase] = []
    for tokens in prefill_tokens:
        if tokens < 1:
            raise InputError(f"--prefill-tokens must be positive, found {tokens}")
        for name in GEMM_AND_ELEMENTWISE + ["attention"]:
            cases.append(KernelCase(name, "prefill", tokens, 0))
    if decode_context < 1:
        raise InputError(f"--decode-context must be at least 1, found {decode_context}")
    for batch in decode_batches:
        if batch < 1:
            raise InputError(f"--decode-batches must be positive, found {batch}")
        cases.append(KernelCase("attention", "decode", batch, decode_context))
    return cases


def default_model_name(path: str) -> str:
    """The CSV's `model` value: a catalog name for Models/llm/<name>.json, else the path itself
    (llmplan reads a config.json path there too)."""
    parts = path.replace("\\", "/").split("/")
    if len(parts) >= 3 and parts[-3:-1] == ["Models", "llm"] and parts[-1].endswith(".json"):
        return parts[-1][: -len(".json")]
    return path


def write_csv(out, model: str, tp: int, rows: Iterable[tuple]) -> None:
    """Writes (KernelCase, seconds) pairs in LLMPlan's measurement format."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for case, seconds in rows:
        if not (seconds > 0) or seconds == float("inf"):
            raise ValueError(f"{case.name}: a measured time must be positive and finite, got {seconds}")
        writer.writerow(
            ["operator", case.name, case.tokens, tp, case.context, case.phase, model, f"{seconds:.9g}"]
        )


def median_seconds(run: Callable[[], None], timer: Callable[[Callable[[], None]], float], repeats: int) -> float:
    """Median of `repeats` timings of `run` by `timer` (which returns seconds)."""
    return statistics.median(timer(run) for _ in range(repeats))


# ----------------------------------------------------------------------------------------------
# GPU part: only imported and used when timing.


def _torch_kernels(torch, shape: LayerShape, case: KernelCase, dtype):
    """A closure running the kernel of `case` once, with its inputs allocated up front."""
    dev = "cuda"
    t = case.tokens
    h = shape.hidden
    f = torch.nn.functional

    def gemm(rows: int, k: int, n: int):
        x = torch.randn(rows, k, device=dev, dtype=dtype)
        w = torch.randn(n, k, device=dev, dtype=dtype)
        return lambda: f.linear(x, w)

    if case.name == "qkv_proj":
        return gemm(t, h, shape.qkv_columns)
    if case.name == "out_proj":
        return gemm(t, shape.query_heads * shape.head_dim, h)
    if case.name == "mlp_up_proj":
        return gemm(t, h, shape.mlp_up_columns)
    if case.name == "mlp_down_proj":
        return gemm(t, shape.mlp_inner, h)
    if case.name == "lm_head":
        return gemm(t, h, shape.vocab_shard)
    if case.name in ("input_norm", "post_attention_norm"):
        x = torch.randn(t, h, device=dev, dtype=dtype)
        w = torch.ones(h, device=dev, dtype=dtype)
        return lambda: f.rms_norm(x, (h,), w, 1e-5)
    if case.name == "mlp_act":
        if shape.gated:
            gate = torch.randn(t, shape.mlp_inner, device=dev, dtype=dtype)
            up = torch.randn(t, shape.mlp_inner, device=dev, dtype=dtype)
            return lambda: f.silu(gate) * up
        x = torch.randn(t, shape.mlp_inner, device=dev, dtype=dtype)
        return lambda: f.gelu(x, approximate="tanh")
    if case.name == "residual_add":
        a = torch.randn(t, h, device=dev, dtype=dtype)
        b = torch.randn(t, h, device=dev, dtype=dtype)
        return lambda: a.add_(b)
    if case.name == "embedding":
        table = torch.randn(shape.vocab_shard, h, device=dev, dtype=dtype)
        ids = torch.randint(0, shape.vocab_shard, (t,), device=dev)
        return lambda: f.embedding(ids, table)
    if case.name == "attention":
        group = shape.query_heads // shape.kv_heads if shape.query_heads % shape.kv_heads == 0 else 1
        if case.phase == "prefill":
            q = torch.randn(1, shape.query_heads, t, shape.head_dim, device=dev, dtype=dtype)
            k = torch.randn(1, shape.kv_heads, t, shape.head_dim, device=dev, dtype=dtype)
            v = torch.randn(1, shape.kv_heads, t, shape.head_dim, device=dev, dtype=dtype)
            return lambda: f.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=group > 1)
        q = torch.randn(t, shape.query_heads, 1, shape.head_dim, device=dev, dtype=dtype)
        k = torch.randn(t, shape.kv_heads, case.context, shape.head_dim, device=dev, dtype=dtype)
        v = torch.randn(t, shape.kv_heads, case.context, shape.head_dim, device=dev, dtype=dtype)
        return lambda: f.scaled_dot_product_attention(q, k, v, enable_gqa=group > 1)
    raise InputError(f"unknown kernel {case.name}")


def _cuda_timer(torch):
    def time_once(run: Callable[[], None]) -> float:
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        run()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) / 1000.0  # milliseconds to seconds

    return time_once


def _int_list(text: str, flag: str) -> List[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(f"{flag} must be a comma-separated list of integers, found {text!r}")
    if not values:
        raise InputError(f"{flag} must name at least one value")
    return values


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="Hugging Face config.json or Models/llm/<name>.json")
    parser.add_argument("--model-name", help="name written in the CSV's model column (default: the file's stem)")
    parser.add_argument("--tp", type=int, default=1, help="tensor-parallel degree whose per-GPU shapes to time")
    parser.add_argument("--dtype", default="bf16", choices=["bf16", "fp16"])
    parser.add_argument("--prefill-tokens", default=",".join(map(str, DEFAULT_PREFILL_TOKENS)))
    parser.add_argument("--decode-batches", default=",".join(map(str, DEFAULT_DECODE_BATCHES)))
    parser.add_argument("--decode-context", type=int, default=DEFAULT_DECODE_CONTEXT)
    parser.add_argument("--repeats", type=int, default=20, help="timed runs per case (median kept)")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--out", help="CSV to write (refuses to overwrite an existing file)")
    parser.add_argument("--plan", action="store_true", help="print the cases that would be timed, then stop")
    args = parser.parse_args(argv)
    try:
        try:
            with open(args.model) as handle:
                config = json.load(handle)
        except OSError as error:
            raise InputError(f"--model {args.model}: cannot read ({error.strerror})")
        except json.JSONDecodeError as error:
            raise InputError(f"--model {args.model}: not valid JSON ({error.msg}, line {error.lineno})")
        shape = layer_shape(config, args.tp, source=args.model)
        cases = plan(
            _int_list(args.prefill_tokens, "--prefill-tokens"),
            _int_list(args.decode_batches, "--decode-batches"),
            args.decode_context,
        )
        if args.repeats < 1 or args.warmup < 0:
            raise InputError("--repeats must be at least 1 and --warmup at least 0")
        model_name = args.model_name or default_model_name(args.model)
        if args.plan:
            try:
                for case in cases:
                    print(f"{case.phase:7} {case.name:20} tokens={case.tokens} context={case.context}")
            except BrokenPipeError:  # `| head`: the reader has what it wanted
                import os

                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
        if not args.out:
            raise InputError("--out is required when timing (or use --plan)")
        import os

        if os.path.exists(args.out):
            raise InputError(f"--out {args.out} exists; choose another name or remove it first")
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        import torch  # noqa: PLC0415 (only the timing needs it)
    except ImportError:
        print("error: PyTorch is not installed; timing needs PyTorch with CUDA (--plan works without)", file=sys.stderr)
        return 2
    if not torch.cuda.is_available():
        print("error: no CUDA GPU visible to PyTorch; timing needs one (--plan works without)", file=sys.stderr)
        return 2
    dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float16
    timer = _cuda_timer(torch)
    rows = []
    with torch.inference_mode():
        for index, case in enumerate(cases, 1):
            run = _torch_kernels(torch, shape, case, dtype)
            for _ in range(args.warmup):
                run()
            rows.append((case, median_seconds(run, timer, args.repeats)))
            print(f"[{index}/{len(cases)}] {case.phase} {case.name} tokens={case.tokens}", file=sys.stderr)
    with open(args.out, "x", newline="") as out:
        write_csv(out, model_name, args.tp, rows)
    print(f"wrote {len(rows)} timings to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
