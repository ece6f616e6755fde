"""GGUF -> plain transformers checkpoint on a tiny Llama GGUF the test writes with the ``gguf`` library."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
gguf = pytest.importorskip("gguf")

from quant.llm.checkpoint import gguf_to_checkpoint  # noqa: E402
from quant.llm.compat import dtype_kwargs  # noqa: E402

pytestmark = pytest.mark.llm


def byte_level_alphabet() -> list[str]:
    """GPT-2's byte-to-unicode table: 256 one-character tokens."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    codes, extra = printable[:], 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return [chr(c) for c in codes]


def write_tiny_llama_gguf(path, hidden=32, ffn=64, layers=2, heads=4, kv_heads=2):
    tokens = byte_level_alphabet() + ["Ġt", "he"]
    rng = np.random.default_rng(0)
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_context_length(64)
    writer.add_embedding_length(hidden)
    writer.add_block_count(layers)
    writer.add_feed_forward_length(ffn)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv_heads)
    writer.add_rope_dimension_count(hidden // heads)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(len(tokens))
    writer.add_tokenizer_model("gpt2")
    writer.add_token_list(tokens)
    writer.add_token_types([1] * len(tokens))
    writer.add_token_merges(["Ġ t", "h e"])
    writer.add_bos_token_id(0)
    writer.add_eos_token_id(1)

    def tensor(name, shape):
        writer.add_tensor(name, rng.normal(0, 0.1, shape).astype(np.float32))

    kv = hidden // heads * kv_heads
    tensor("token_embd.weight", (len(tokens), hidden))
    tensor("output_norm.weight", (hidden,))
    for block in range(layers):
        for name, shape in [("attn_norm", (hidden,)), ("ffn_norm", (hidden,)), ("attn_q", (hidden, hidden)),
                            ("attn_k", (kv, hidden)), ("attn_v", (kv, hidden)), ("attn_output", (hidden, hidden)),
                            ("ffn_gate", (ffn, hidden)), ("ffn_up", (ffn, hidden)), ("ffn_down", (hidden, ffn))]:
            tensor(f"blk.{block}.{name}.weight", shape)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def test_checkpoint_reload_gives_identical_logits(tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf_path = tmp_path / "tiny.gguf"
    write_tiny_llama_gguf(gguf_path)
    out = tmp_path / "checkpoint"
    gguf_to_checkpoint(gguf_path, out)

    direct = AutoModelForCausalLM.from_pretrained(tmp_path, gguf_file="tiny.gguf", **dtype_kwargs(torch.float32))
    reloaded = AutoModelForCausalLM.from_pretrained(out, **dtype_kwargs(torch.float32))
    assert getattr(reloaded.config, "quantization_config", None) is None
    ids = torch.tensor([[5, 9, 200, 3, 257]])
    with torch.no_grad():
        assert torch.equal(direct(ids).logits, reloaded(ids).logits)
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert tokenizer("the").input_ids == AutoTokenizer.from_pretrained(tmp_path, gguf_file="tiny.gguf")("the").input_ids


@pytest.mark.parametrize("keep", [0.5, 0.02])  # cut inside the tensor data / inside the header
def test_truncated_gguf_is_one_line_error(tmp_path, keep):
    from quant.errors import BenchInputError

    gguf_path = tmp_path / "tiny.gguf"
    write_tiny_llama_gguf(gguf_path)
    data = gguf_path.read_bytes()
    gguf_path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(BenchInputError, match="cannot read GGUF .*tiny.gguf.*re-fetch") as err:
        gguf_to_checkpoint(gguf_path, tmp_path / "checkpoint")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "checkpoint").exists()
