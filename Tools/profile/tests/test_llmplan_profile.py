"""Tests of the profiler's GPU-free parts: shapes, case plan, CSV, argument errors.

Run: python3 -m unittest discover -s Tools/profile/tests
"""

import csv
import io
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import llmplan_profile as profile  # noqa: E402

LLAMA2_7B = {
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "num_key_value_heads": 32,
    "intermediate_size": 11008,
    "vocab_size": 32000,
    "hidden_act": "silu",
}
LLAMA2_70B = dict(LLAMA2_7B, hidden_size=8192, num_attention_heads=64, num_key_value_heads=8, intermediate_size=28672)


class ShapeTests(unittest.TestCase):
    def test_llama2_7b_tp2_columns(self):
        shape = profile.layer_shape(LLAMA2_7B, tp=2)
        # 16 query heads + 2 x 16 KV heads of 128 dims per GPU.
        self.assertEqual(shape.qkv_columns, (16 + 32) * 128)
        # Gated MLP: gate and up, each 11008 / 2 wide.
        self.assertEqual(shape.mlp_up_columns, 2 * 5504)
        self.assertEqual(shape.vocab_shard, 16000)

    def test_gqa_kv_heads_replicated_beyond_their_count(self):
        # 8 KV heads over TP 16 (64 query heads): each GPU still holds one KV head.
        self.assertEqual(profile.layer_shape(LLAMA2_70B, tp=16).kv_heads, 1)
        self.assertEqual(profile.layer_shape(LLAMA2_70B, tp=4).kv_heads, 2)

    def test_tp_must_divide_heads(self):
        with self.assertRaisesRegex(profile.InputError, "does not divide the 32 attention heads"):
            profile.layer_shape(LLAMA2_7B, tp=3)

    def test_missing_field_is_named(self):
        config = dict(LLAMA2_7B)
        del config["vocab_size"]
        with self.assertRaisesRegex(profile.InputError, "missing field vocab_size"):
            profile.layer_shape(config, tp=1, source="c.json")


class PlanAndCSVTests(unittest.TestCase):
    def test_plan_counts(self):
        cases = profile.plan([16, 512], [1, 8], decode_context=1024)
        # 11 prefill kernels per token count, one decode attention per batch.
        self.assertEqual(len(cases), 2 * 11 + 2)
        self.assertEqual(cases[-1], profile.KernelCase("attention", "decode", 8, 1024))

    def test_csv_has_llmplans_columns_and_rows(self):
        cases = profile.plan([64], [4], decode_context=256)
        out = io.StringIO()
        profile.write_csv(out, "llama-2-7b", 2, [(case, 1e-5 * (i + 1)) for i, case in enumerate(cases)])
        rows = list(csv.DictReader(io.StringIO(out.getvalue())))
        self.assertEqual(list(rows[0].keys()), profile.CSV_COLUMNS)
        self.assertEqual(len(rows), len(cases))
        decode = rows[-1]
        self.assertEqual((decode["phase"], decode["tokens"], decode["context"], decode["tp"]), ("decode", "4", "256", "2"))

    def test_non_positive_time_refused(self):
        case = profile.KernelCase("qkv_proj", "prefill", 1, 0)
        with self.assertRaises(ValueError):
            profile.write_csv(io.StringIO(), "m", 1, [(case, 0.0)])

    def test_model_name_from_catalog_path(self):
        self.assertEqual(profile.default_model_name("Models/llm/llama-3-8b.json"), "llama-3-8b")
        self.assertEqual(profile.default_model_name("/tmp/config.json"), "/tmp/config.json")


class CommandLineTests(unittest.TestCase):
    def config_file(self, config):
        handle = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        import json

        json.dump(config, handle)
        handle.close()
        self.addCleanup(os.unlink, handle.name)
        return handle.name

    def test_plan_runs_without_gpu(self):
        self.assertEqual(profile.main(["--model", self.config_file(LLAMA2_7B), "--plan"]), 0)

    def test_bad_list_is_exit_1(self):
        code = profile.main(["--model", self.config_file(LLAMA2_7B), "--prefill-tokens", "a,b", "--plan"])
        self.assertEqual(code, 1)

    def test_existing_output_not_overwritten(self):
        with tempfile.NamedTemporaryFile(delete=False) as existing:
            existing.write(b"keep")
        self.addCleanup(os.unlink, existing.name)
        code = profile.main(["--model", self.config_file(LLAMA2_7B), "--out", existing.name])
        self.assertEqual(code, 1)
        with open(existing.name, "rb") as handle:
            self.assertEqual(handle.read(), b"keep")

    def test_timing_without_torch_or_gpu_is_exit_2(self):
        with tempfile.TemporaryDirectory() as folder:
            out = os.path.join(folder, "t.csv")
            code = profile.main(["--model", self.config_file(LLAMA2_7B), "--out", out])
            try:
                import torch  # noqa: F401

                has_gpu = torch.cuda.is_available()
            except ImportError:
                has_gpu = False
            if not has_gpu:
                self.assertEqual(code, 2)
                self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
