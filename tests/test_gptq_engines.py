"""Each GPTQ engine installed in this environment, on a tiny random Llama the test builds.

- the fp32 unpacked model (what accuracy is scored with) computes what the
  engine's own kernels compute, up to their compute dtype;
- quantizing twice gives bit-identical tensors (determinism: fixed samples,
  fixed order, no randomness in GPTQ);
- the quantized model stays close to the original.
GPTQModel lives in the `tests`/`llm` environments, AutoGPTQ in `llm_autogptq`;
an engine missing here is skipped with that reason.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from quant.llm.engines import ENGINES, ENGINE_INFO, is_installed  # noqa: E402
from quant.llm.gptq import GptqConfig, load_dequantized_fp32, load_quantized, quantize  # noqa: E402
from quant.llm.scoring import _decoder_and_head  # noqa: E402

pytestmark = pytest.mark.llm
VOCAB = 96


def write_tiny_checkpoint(directory):
    from tokenizers import Tokenizer, models, pre_tokenizers

    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=128, tie_word_embeddings=False,
    )
    model = transformers.LlamaForCausalLM(config).eval()
    model.save_pretrained(directory)
    words = Tokenizer(models.WordLevel({f"w{i}": i for i in range(VOCAB)}, unk_token="w0"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    transformers.PreTrainedTokenizerFast(tokenizer_object=words, unk_token="w0", bos_token="w1",
                                         eos_token="w2").save_pretrained(directory)
    return model


def samples(n=16, length=32, seed=1):
    rng = np.random.default_rng(seed)
    return [{"input_ids": ids, "attention_mask": [1] * length}
            for ids in rng.integers(3, VOCAB, (n, length)).tolist()]


def logits(model, ids):
    hf, _, _ = _decoder_and_head(model)
    with torch.inference_mode():
        return hf(input_ids=ids).logits.float()


@pytest.fixture(params=ENGINES)
def engine(request):
    if not is_installed(request.param):
        pytest.skip(f"{request.param} is not installed here (its environment: nox -s {ENGINE_INFO[request.param].nox_session})")
    return request.param


def test_quantized_engine_is_deterministic_and_unpacks_exactly(engine, tmp_path):
    original = write_tiny_checkpoint(tmp_path / "plain")
    config = GptqConfig(bits=4, group_size=32, sym=False, desc_act=True, n_samples=16, seq_len=32)
    for name in ("a", "b"):
        quantize(engine, tmp_path / "plain", tmp_path / name, config, samples())
    from safetensors.torch import load_file

    weights = sorted(p.name for p in (tmp_path / "a").glob("*.safetensors"))
    assert weights
    for name in weights:  # tensors, not bytes: AutoGPTQ's header order varies between saves
        first, second = load_file(tmp_path / "a" / name), load_file(tmp_path / "b" / name)
        assert first.keys() == second.keys()
        for key in first:
            assert torch.equal(first[key], second[key]), f"{engine}: {key} differs between two quantizations"

    ids = torch.tensor(np.random.default_rng(2).integers(3, VOCAB, (2, 24)))
    unpacked = logits(load_dequantized_fp32(engine, tmp_path / "a"), ids)
    kernel = logits(load_quantized(engine, tmp_path / "a"), ids)
    reference = logits(original, ids)
    # the kernels compute in bf16 (GPTQModel on CPU) or fp32 (AutoGPTQ's torch path): equal up to that rounding
    assert torch.allclose(unpacked, kernel, atol=0.05 * float(unpacked.abs().max())), (unpacked - kernel).abs().max()
    # 4-bit groups of 32 keep a random model's logits close to the original's
    assert torch.nn.functional.cosine_similarity(unpacked.flatten(), reference.flatten(), dim=0) > 0.95


def test_architecture_the_engine_cannot_quantize_is_a_one_line_error(engine):
    from quant.errors import BenchInputError
    from quant.llm.gptq import check_model_for_engine

    check_model_for_engine(engine, "llama", "smollm2-135m")  # both engines quantize Llama
    if engine == "auto-gptq":  # AutoGPTQ 0.7.1 predates Gemma 3
        with pytest.raises(BenchInputError, match="auto-gptq 0.7.1 cannot quantize gemma3-270m.*--engine gptqmodel"):
            check_model_for_engine(engine, "gemma3_text", "gemma3-270m")
