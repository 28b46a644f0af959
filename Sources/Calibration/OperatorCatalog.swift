// TEMPORARY until the analytic CostModel lands in main: the operator names it books.
enum OperatorCatalog {
  static let names: Set<String> = [
    "input_norm", "qkv_proj", "attention", "out_proj", "residual_add", "post_attention_norm", "mlp_up_proj",
    "mlp_act", "mlp_down_proj", "embedding", "lm_head",
  ]
}
