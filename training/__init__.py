"""ICWM and SFT training: datasets from real turns, tokenizer, model, one launcher, evaluation."""
