/// Published HuggingFace `config.json` files, cut to the fields that matter for the arithmetic
/// (plus a few harmless ones), each with its source. Values are copied unchanged.
enum PublishedConfigs {
  /// https://huggingface.co/mistralai/Mixtral-8x7B-v0.1/blob/main/config.json
  static let mixtral8x7B = """
    {
      "architectures": ["MixtralForCausalLM"], "hidden_act": "silu", "hidden_size": 4096,
      "intermediate_size": 14336, "max_position_embeddings": 32768, "model_type": "mixtral",
      "num_attention_heads": 32, "num_experts_per_tok": 2, "num_hidden_layers": 32, "num_key_value_heads": 8,
      "num_local_experts": 8, "output_router_logits": false, "rms_norm_eps": 1e-05, "rope_theta": 1000000.0,
      "router_aux_loss_coef": 0.02, "sliding_window": null, "tie_word_embeddings": false,
      "torch_dtype": "bfloat16", "vocab_size": 32000
    }
    """

  /// https://huggingface.co/Qwen/Qwen3-30B-A3B/blob/main/config.json
  static let qwen3_30B_A3B = """
    {
      "architectures": ["Qwen3MoeForCausalLM"], "attention_bias": false, "decoder_sparse_step": 1,
      "head_dim": 128, "hidden_act": "silu", "hidden_size": 2048, "intermediate_size": 6144,
      "max_position_embeddings": 40960, "max_window_layers": 48, "mlp_only_layers": [], "model_type": "qwen3_moe",
      "moe_intermediate_size": 768, "norm_topk_prob": true, "num_attention_heads": 32, "num_experts": 128,
      "num_experts_per_tok": 8, "num_hidden_layers": 48, "num_key_value_heads": 4, "rms_norm_eps": 1e-06,
      "rope_scaling": null, "rope_theta": 1000000.0, "sliding_window": null, "tie_word_embeddings": false,
      "torch_dtype": "bfloat16", "use_sliding_window": false, "vocab_size": 151936
    }
    """

  /// https://huggingface.co/deepseek-ai/DeepSeek-V3/blob/main/config.json
  static let deepSeekV3 = """
    {
      "architectures": ["DeepseekV3ForCausalLM"], "attention_bias": false, "first_k_dense_replace": 3,
      "hidden_act": "silu", "hidden_size": 7168, "intermediate_size": 18432, "kv_lora_rank": 512,
      "max_position_embeddings": 163840, "model_type": "deepseek_v3", "moe_intermediate_size": 2048,
      "moe_layer_freq": 1, "n_group": 8, "n_routed_experts": 256, "n_shared_experts": 1, "norm_topk_prob": true,
      "num_attention_heads": 128, "num_experts_per_tok": 8, "num_hidden_layers": 61, "num_key_value_heads": 128,
      "num_nextn_predict_layers": 1, "q_lora_rank": 1536, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
      "quantization_config": {
        "activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8", "weight_block_size": [128, 128]
      },
      "rms_norm_eps": 1e-06, "rope_theta": 10000, "tie_word_embeddings": false, "topk_group": 4,
      "topk_method": "noaux_tc", "torch_dtype": "bfloat16", "v_head_dim": 128, "vocab_size": 129280
    }
    """

  /// https://huggingface.co/hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4/blob/main/config.json
  static let llama31_8B_AWQ = """
    {
      "architectures": ["LlamaForCausalLM"], "attention_bias": false, "hidden_act": "silu", "hidden_size": 4096,
      "intermediate_size": 14336, "max_position_embeddings": 131072, "mlp_bias": false, "model_type": "llama",
      "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
      "quantization_config": {
        "bits": 4, "group_size": 128, "modules_to_not_convert": null, "quant_method": "awq", "version": "gemm",
        "zero_point": true
      },
      "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "tie_word_embeddings": false, "torch_dtype": "float16",
      "vocab_size": 128256
    }
    """

  /// https://huggingface.co/mistralai/Mistral-7B-v0.1/blob/main/config.json
  static let mistral7Bv01 = """
    {
      "architectures": ["MistralForCausalLM"], "hidden_act": "silu", "hidden_size": 4096,
      "intermediate_size": 14336, "max_position_embeddings": 32768, "model_type": "mistral",
      "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-05,
      "rope_theta": 10000.0, "sliding_window": 4096, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
      "vocab_size": 32000
    }
    """

  /// https://huggingface.co/mistralai/Mistral-7B-Instruct-v0.2/blob/main/config.json: the
  /// same architecture with the window switched off (`sliding_window: null`) and a 32k context.
  static let mistral7BInstructV02 = """
    {
      "architectures": ["MistralForCausalLM"], "hidden_act": "silu", "hidden_size": 4096,
      "intermediate_size": 14336, "max_position_embeddings": 32768, "model_type": "mistral",
      "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-05,
      "rope_theta": 1000000.0, "sliding_window": null, "tie_word_embeddings": false, "torch_dtype": "bfloat16",
      "vocab_size": 32000
    }
    """

  /// https://huggingface.co/openai/gpt-oss-120b/blob/main/config.json (layer_types shortened
  /// to its first four entries: the file alternates sliding and full attention over 36 layers).
  static let gptOss120B = """
    {
      "architectures": ["GptOssForCausalLM"], "attention_bias": true, "experts_per_token": 4, "head_dim": 64,
      "hidden_act": "silu", "hidden_size": 2880, "intermediate_size": 2880,
      "layer_types": ["sliding_attention", "full_attention", "sliding_attention", "full_attention"],
      "max_position_embeddings": 131072, "model_type": "gpt_oss", "num_attention_heads": 64,
      "num_experts_per_tok": 4, "num_hidden_layers": 36, "num_key_value_heads": 8, "num_local_experts": 128,
      "quantization_config": {
        "modules_to_not_convert": ["model.layers.*.self_attn", "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"],
        "quant_method": "mxfp4"
      },
      "rms_norm_eps": 1e-05, "rope_theta": 150000, "sliding_window": 128, "tie_word_embeddings": false,
      "torch_dtype": "bfloat16", "vocab_size": 201088
    }
    """

  /// https://huggingface.co/meta-llama/Llama-4-Scout-17B-16E/blob/main/config.json (the text
  /// model is nested under `text_config`; vision fields left out).
  static let llama4Scout = """
    {
      "architectures": ["Llama4ForConditionalGeneration"], "model_type": "llama4",
      "text_config": {
        "attention_bias": false, "head_dim": 128, "hidden_act": "silu", "hidden_size": 5120,
        "intermediate_size": 8192, "intermediate_size_mlp": 16384, "max_position_embeddings": 10485760,
        "model_type": "llama4_text", "num_attention_heads": 40, "num_experts_per_tok": 1,
        "num_hidden_layers": 48, "num_key_value_heads": 8, "num_local_experts": 16, "rms_norm_eps": 1e-05,
        "rope_theta": 500000.0, "vocab_size": 202048
      },
      "torch_dtype": "bfloat16"
    }
    """

  /// https://huggingface.co/google/gemma-7b/blob/main/config.json: no `tie_word_embeddings`
  /// field (transformers' GemmaConfig defaults it to true).
  static let gemma7B = """
    {
      "architectures": ["GemmaForCausalLM"], "head_dim": 256, "hidden_act": "gelu", "hidden_size": 3072,
      "intermediate_size": 24576, "max_position_embeddings": 8192, "model_type": "gemma",
      "num_attention_heads": 16, "num_hidden_layers": 28, "num_key_value_heads": 16, "rms_norm_eps": 1e-06,
      "rope_theta": 10000.0, "torch_dtype": "bfloat16", "vocab_size": 256000
    }
    """

  /// https://huggingface.co/tiiuae/falcon-7b/blob/main/config.json: a family the loader does not
  /// read (parallel attention, multi-query with `multi_query`, ALiBi switch).
  static let falcon7B = """
    {
      "alibi": false, "architectures": ["FalconForCausalLM"], "bias": false, "hidden_size": 4544,
      "model_type": "falcon", "multi_query": true, "new_decoder_architecture": false, "num_attention_heads": 71,
      "num_hidden_layers": 32, "parallel_attn": true, "torch_dtype": "bfloat16", "vocab_size": 65024
    }
    """

  /// https://huggingface.co/deepseek-ai/DeepSeek-V2-Lite/blob/main/config.json: latent attention
  /// without query compression (`q_lora_rank: null`), 64 routed + 2 shared experts, the first
  /// layer dense (rope_scaling left out).
  static let deepSeekV2Lite = """
    {
      "architectures": ["DeepseekV2ForCausalLM"], "first_k_dense_replace": 1, "hidden_act": "silu",
      "hidden_size": 2048, "intermediate_size": 10944, "kv_lora_rank": 512, "max_position_embeddings": 163840,
      "model_type": "deepseek_v2", "moe_intermediate_size": 1408, "moe_layer_freq": 1, "n_routed_experts": 64,
      "n_shared_experts": 2, "norm_topk_prob": false, "num_attention_heads": 16, "num_experts_per_tok": 6,
      "num_hidden_layers": 27, "num_key_value_heads": 16, "q_lora_rank": null, "qk_nope_head_dim": 128,
      "qk_rope_head_dim": 64, "rms_norm_eps": 1e-06, "rope_theta": 10000, "routed_scaling_factor": 1.0,
      "tie_word_embeddings": false, "torch_dtype": "bfloat16", "v_head_dim": 128, "vocab_size": 102400
    }
    """

  /// https://huggingface.co/Qwen/Qwen1.5-MoE-A2.7B/blob/main/config.json: 60 routed experts
  /// (4 per token) and one gated shared expert of 5632 in every layer.
  static let qwen15MoE = """
    {
      "architectures": ["Qwen2MoeForCausalLM"], "decoder_sparse_step": 1, "hidden_act": "silu",
      "hidden_size": 2048, "intermediate_size": 5632, "max_position_embeddings": 8192, "model_type": "qwen2_moe",
      "moe_intermediate_size": 1408, "norm_topk_prob": false, "num_attention_heads": 16, "num_experts": 60,
      "num_experts_per_tok": 4, "num_hidden_layers": 24, "num_key_value_heads": 16, "rms_norm_eps": 1e-06,
      "rope_theta": 1000000.0, "shared_expert_intermediate_size": 5632, "tie_word_embeddings": false,
      "torch_dtype": "bfloat16", "vocab_size": 151936
    }
    """
}
