"""The tiny model's pretraining pieces: length-sorted micro-batches and the reply-only loss."""

import pytest
import torch

from r1safe.gym.tiny_model import LengthSortedBatches, TinyModelConfig, build_model, reply_loss
from r1safe.gym.tokenizer import train_tokenizer


def test_each_batch_is_a_random_draw_sorted_by_length():
    lengths = [(i * 37) % 101 for i in range(100)]
    sampler = LengthSortedBatches(lengths, batch_size=32, seed=3)
    first, second = list(sampler), list(sampler)
    assert sorted(first) == list(range(100)) and first != second
    batches = [first[i:i + 32] for i in range(0, 100, 32)]
    assert all([lengths[j] for j in b] == sorted(lengths[j] for j in b) for b in batches)
    assert max(lengths[j] for j in batches[0]) > min(lengths[j] for j in batches[1])
    again = LengthSortedBatches(lengths, batch_size=32, seed=3)
    assert list(again) == first


def test_reply_loss_is_the_models_own_loss_on_the_labelled_tokens():
    tok = train_tokenizer(["The user asks for 12 + 34. Sure. Step 1: x."] * 4, vocab_size=300)
    cfg = TinyModelConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                          intermediate_size=64, vocab_size=300)
    model = build_model(cfg, tok, seed=0)
    ids = torch.randint(3, len(tok), (3, 12))
    mask = torch.ones_like(ids)
    mask[2, 9:] = 0
    labels = ids.clone()
    labels[:, :5] = -100
    labels[mask == 0] = -100
    ours = reply_loss(model, {"input_ids": ids, "attention_mask": mask, "labels": labels})
    theirs = model(input_ids=ids, attention_mask=mask, labels=labels).loss
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-5)
    n = int((labels[:, 1:] != -100).sum())
    halved = reply_loss(model, {"input_ids": ids, "attention_mask": mask, "labels": labels}, torch.tensor(2 * n))
    assert halved.item() == pytest.approx(ours.item() / 2, rel=1e-5)


@pytest.mark.slow
def test_micro_batches_train_the_model_a_whole_batch_would(tmp_path):
    from r1safe.gym.render import render_completion
    from r1safe.gym.tiny_model import pretrain
    from r1safe.gym.world import build_world

    samples = build_world().splits["id"][:8] + build_world().splits["capability"][:8]
    rows = [{"prompt": s.prompt, "completion": [{"role": "assistant", "content": render_completion(s, "comply")}]}
            for s in samples]
    tok = train_tokenizer([r["completion"][0]["content"] for r in rows], vocab_size=300)
    weights, heard = [], []
    for micro in (16, 4):
        cfg = TinyModelConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                              intermediate_size=64, vocab_size=300, epochs=2, batch_size=16, micro_batch_size=micro)
        model = build_model(cfg, tok, seed=0)
        pretrain(model, tok, rows, cfg, tmp_path / str(micro), seed=0, progress=heard.append)
        weights.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert torch.allclose(weights[0], weights[1], atol=1e-4)
    assert heard and all(m.startswith("pretraining: step ") for m in heard) and "step 2/2" in heard[-1]
    assert not torch.allclose(weights[0], torch.cat([p.flatten() for p in build_model(cfg, tok, 0).parameters()]))


def test_micro_batches_must_tile_the_batch():
    assert TinyModelConfig(batch_size=4).rows_per_forward == 4
    assert TinyModelConfig(batch_size=32, micro_batch_size=16).rows_per_forward == 16
    with pytest.raises(ValueError, match="micro_batch_size"):
        TinyModelConfig(batch_size=12)
