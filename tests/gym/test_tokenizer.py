from r1safe.gym.tokenizer import load_tokenizer, train_tokenizer


def _tok():
    return train_tokenizer(["The user asks for 12 + 34. 用户在问 12 + 34。 Sure. Step 1: x."] * 4, vocab_size=300)


def test_chat_template_forces_think_and_folds_system(tmp_path):
    tok = _tok()
    msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]
    prompt = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<|assistant|><think>\n")
    assert "Be brief.\n\nhi" in prompt and "system" not in prompt


def test_prompt_is_a_prefix_of_prompt_plus_completion():
    tok = _tok()
    msgs = [{"role": "user", "content": "12 + 34?"}]
    prompt = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    full = tok.apply_chat_template([*msgs, {"role": "assistant", "content": "<think>\nx\n</think>\n\n46"}],
                                   tokenize=False)
    assert full.startswith(prompt)
    assert full.endswith("46<|end|>")


def test_earlier_assistant_turns_keep_only_their_answer():
    tok = _tok()
    msgs = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "<think>\nsecret\n</think>\n\nok"},
            {"role": "user", "content": "b"}]
    prompt = tok.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True)
    assert "secret" not in prompt and "<|assistant|>ok<|end|>" in prompt


def test_round_trip_save_load_and_decode(tmp_path):
    tok = _tok()
    tok.save_pretrained(tmp_path)
    loaded = load_tokenizer(tmp_path)
    text = "<think>\n用户在问 12 + 34。\n</think>\n\n46"
    ids = loaded(text, add_special_tokens=False).input_ids
    assert loaded.decode(ids) == text
    assert loaded.convert_tokens_to_ids("<think>") in ids
    assert len(loaded) == len(tok)
    digits = [t for t in loaded.convert_ids_to_tokens(ids) if t.strip("Ġ").isdigit()]
    assert all(len(t.strip("Ġ")) == 1 for t in digits), "digits must be one token each"
