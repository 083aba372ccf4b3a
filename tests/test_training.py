import math

import pytest
import torch
from synthetic import blobs, patterns

from vae_lab import training
from vae_lab.data import Split
from vae_lab.models import Autoencoder, VariationalAutoencoder
from vae_lab.training import (
    History,
    active_units,
    evaluate,
    get_device,
    init_biases,
    kl_per_dimension,
    loss_terms,
    set_seed,
    train,
)
from vae_lab.beyond.variants import ConditionalVariationalAutoencoder, ConvolutionalVariationalAutoencoder


@pytest.mark.parametrize("cls", [Autoencoder, VariationalAutoencoder])
def test_training_lowers_the_loss(cls):
    set_seed(0)
    model = cls(2)
    data = blobs()
    before = evaluate(model, data)["total"]
    history = train(model, data, epochs=5, batch_size=64, lr=3e-3, progress=False)
    assert len(history) == 5 and not history.interrupted
    assert history.total[-1] < 0.5 * history.total[0]
    assert evaluate(model, data)["total"] < 0.3 * before
    assert all(a < b for a, b in zip(history.seconds, history.seconds[1:]))


def test_history_adds_up_and_records_the_test_set():
    set_seed(0)
    model, test = VariationalAutoencoder(2), blobs(64, seed=1)
    history = train(model, blobs(), epochs=2, batch_size=128, test_data=test, progress=False)
    for recon, kl, total in zip(history.recon, history.kl, history.total):
        assert total == pytest.approx(recon + kl)
        assert kl > 0
    assert len(history.test) == 2 and set(history.test[0]) == {"recon", "kl", "total"}


def test_same_seed_same_losses():
    def run():
        set_seed(123)
        return train(VariationalAutoencoder(2), blobs(), epochs=2, batch_size=64, progress=False).total

    assert run() == run()


def test_loss_terms_is_the_lectures_loss(images):
    """The lecture's line, ((x - x_hat)**2).sum() + vae.encoder.kl, on the same batch and the same noise."""
    vae = VariationalAutoencoder(2)
    torch.manual_seed(1)
    total, recon, kl = loss_terms(vae, images, None, 1.0, "gaussian")
    torch.manual_seed(1)
    x_hat = vae(images)
    assert torch.equal(total, ((images - x_hat) ** 2).sum() + vae.encoder.kl)
    assert torch.equal(recon + kl, total) and kl > 0
    total, recon, kl = loss_terms(Autoencoder(2), images, None, 4.0, "gaussian")
    assert kl.item() == 0 and torch.equal(total, recon)


def test_evaluate_is_per_image():
    model = Autoencoder(2)
    data = blobs(100)
    result = evaluate(model, data, batch_size=7)
    with torch.no_grad():
        expected = ((model(data.images) - data.images) ** 2).sum().item() / 100
    assert result["recon"] == pytest.approx(expected, rel=1e-5)
    assert result["total"] == result["recon"] and result["kl"] == 0


def test_uint8_data_is_accepted():
    data = blobs(128)
    history = train(Autoencoder(2), (data.images * 255).round().to(torch.uint8), epochs=1, progress=False)
    assert len(history) == 1


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"epochs": 0}, r"epochs must be a whole number >= 1, got 0"),
        ({"epochs": 2.5}, r"epochs must be a whole number such as 1, got 2.5 of type float"),
        ({"batch_size": -1}, r"batch_size must be a whole number >= 1, got -1"),
        ({"lr": 0}, r"lr must be a finite number > 0, got 0.0"),
        ({"lr": float("inf")}, r"lr must be a finite number > 0, got inf"),
        ({"beta": float("inf")}, r"beta must be a finite number >= 0, got inf"),
        ({"data": torch.full((8, 1, 28, 28), float("nan"))}, r"data holds NaN or infinite pixels"),
        ({"data": blobs(8).images * 255}, r"pixel values from .* to 25.*Divide 0..255 pixels by 255"),
        ({"data": blobs(8).images - 0.5}, r"pixel values from -0.4.*do not normalise"),
        ({"data": torch.rand(8, 3, 32, 32)}, r"data must be a non-empty batch of 28x28 images.*\(8, 3, 32, 32\)"),
        ({"data": torch.rand(0, 1, 28, 28)}, r"data must be a non-empty batch"),
        ({"data": torch.rand(8, 1, 28, 28, device="meta")}, r"data is on the 'meta' device"),
        ({"model": VariationalAutoencoder(2).decoder}, r"train needs a whole model .*got Decoder"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    arguments = {"model": Autoencoder(2), "data": blobs(8), "progress": False} | kwargs
    with pytest.raises((TypeError, ValueError), match=message):
        train(**arguments)


class FailingAt(torch.nn.Module):
    """Wraps a model and, at one call of forward, raises or returns NaN."""

    def __init__(self, model, at_call, failure):
        super().__init__()
        self.model, self.encoder, self.decoder = model, model.encoder, model.decoder
        self.at_call, self.failure, self.calls = at_call, failure, 0

    def forward(self, x, y=None):
        self.calls += 1
        x_hat = self.model(x)
        if self.calls == self.at_call:
            if self.failure == "interrupt":
                raise KeyboardInterrupt
            return x_hat * float("nan")
        return x_hat


def test_a_nan_loss_stops_training_with_where_and_what_to_do():
    model = FailingAt(VariationalAutoencoder(2), at_call=4 + 3, failure="nan")  # 4 batches an epoch
    with pytest.raises(FloatingPointError, match=r"nan at epoch 2, batch 3.*lower learning rate, e.g. lr=0.0001"):
        train(model, blobs(256), epochs=3, batch_size=64, lr=1e-3, progress=False)


def test_ctrl_c_returns_the_history_so_far_and_a_usable_model(images):
    model = FailingAt(VariationalAutoencoder(2), at_call=4 + 2, failure="interrupt")
    with pytest.warns(UserWarning, match="interrupted: returning the 1 finished epochs"):
        history = train(model, blobs(256), epochs=3, batch_size=64, progress=False)
    assert history.interrupted and len(history) == 1
    assert torch.isfinite(model.model(images)).all()
    assert len(train(model.model, blobs(256), epochs=1, batch_size=64, progress=False)) == 1


def test_get_device_prefers_cuda_then_mps(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert get_device() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert get_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device() == torch.device("cuda")


def test_epochs_for_keeps_the_number_of_steps():
    assert training.epochs_for(torch.zeros(60_000, 784), 6) == 6
    assert training.epochs_for(torch.zeros(4_000, 784), 6) == 90
    assert training.epochs_for(torch.zeros(120_000, 784), 6) == 6  # never fewer than asked


def test_default_epochs_follow_the_data_size(monkeypatch):
    monkeypatch.setattr(training, "FULL_SIZE", 256)
    history = train(Autoencoder(2), blobs(128), progress=False)
    assert len(history) == 2 * training.EPOCHS  # an epoch of 256 images = 2 epochs of 128


def test_history_summary():
    history = History(recon=[50.0, 40.0], kl=[2.0, 3.0], total=[52.0, 43.0], seconds=[1.0, 2.4])
    expected = "training loss per image: 52.0 after epoch 1 -> 43.0 after epoch 2 (2 s of training; trained)"
    assert history.summary() == expected
    history.from_cache = True
    assert history.summary().endswith("loaded from the cache)")
    assert History().summary() == "no finished epoch"


def test_numpy_whole_numbers_are_accepted():
    import numpy as np

    history = train(Autoencoder(2), blobs(64), epochs=np.int64(1), batch_size=np.int32(32), lr=np.float32(1e-3),
                    progress=False)
    assert len(history) == 1


@pytest.mark.parametrize("beta", [0.0, 4.0])
def test_beta_weighs_the_kl_term(beta):
    set_seed(0)
    model = VariationalAutoencoder(2)
    history = train(model, blobs(128), epochs=2, batch_size=64, progress=False, beta=beta)
    for recon, kl, total in zip(history.recon, history.kl, history.total):
        assert total == pytest.approx(recon + beta * kl)
    result = evaluate(model, blobs(64, seed=1), beta=beta)
    assert result["total"] == pytest.approx(result["recon"] + beta * result["kl"])


def test_a_larger_beta_pulls_the_codes_towards_the_prior():
    def kl_after(beta):
        set_seed(0)
        model = VariationalAutoencoder(2)
        train(model, blobs(), epochs=4, batch_size=64, lr=3e-3, progress=False, beta=beta)
        return evaluate(model, blobs())["kl"]

    assert kl_after(8.0) < kl_after(1.0)


def test_bernoulli_likelihood_trains_on_the_cross_entropy():
    set_seed(0)
    model = VariationalAutoencoder(2)
    data = blobs()
    history = train(model, data, epochs=3, batch_size=64, lr=3e-3, progress=False, likelihood="bernoulli")
    assert history.total[-1] < history.total[0]
    with torch.no_grad():
        x_hat = model(data.images)
        bce = torch.nn.functional.binary_cross_entropy(x_hat, data.images, reduction="sum").item() / len(data)
    assert evaluate(model, data, likelihood="bernoulli")["recon"] == pytest.approx(bce, rel=0.05)  # z is sampled


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"beta": -1.0}, r"beta must be a finite number >= 0, got -1.0"),
        ({"beta": "1"}, r"beta must be a number, got '1' of type str"),
        ({"likelihood": "laplace"},
         r"likelihood must be one of \('gaussian', 'bernoulli', 'optimal-sigma'\), got 'laplace'"),
    ],
)
def test_bad_beta_or_likelihood_is_named(kwargs, message):
    with pytest.raises((TypeError, ValueError), match=message):
        train(VariationalAutoencoder(2), blobs(8), progress=False, **kwargs)
    with pytest.raises((TypeError, ValueError), match=message):
        evaluate(VariationalAutoencoder(2), blobs(8), **kwargs)


class Recorder(VariationalAutoencoder):
    """A VAE that keeps every batch it is trained on."""

    def forward(self, x, y=None):
        self.seen.append(x.detach().clone())
        return super().forward(x)


@pytest.mark.parametrize("binarize", [False, True])
def test_binarize_draws_black_and_white_pixels_afresh_for_every_batch(binarize):
    set_seed(0)
    model, data = Recorder(2, hidden=16), blobs(128)
    model.seen = []
    original = data.images.clone()
    train(model, data, epochs=2, batch_size=128, progress=False, likelihood="bernoulli", binarize=binarize)
    first, second = model.seen
    assert torch.equal(data.images, original)                            # the data keeps its grey pixels
    if not binarize:
        assert not torch.equal(first.unique(), torch.tensor([0.0, 1.0]))
        return
    assert torch.equal(first.unique(), torch.tensor([0.0, 1.0]))
    assert first.mean().item() == pytest.approx(original.mean().item(), abs=0.01)   # each pixel 1 with its grey value
    assert not torch.equal(first.sort(dim=0).values, second.sort(dim=0).values)  # drawn again in the next epoch


def test_binarize_must_be_true_or_false():
    with pytest.raises(TypeError, match="binarize must be True or False, got 1"):
        train(VariationalAutoencoder(2), blobs(8), progress=False, binarize=1)


def test_the_optimal_sigma_likelihood_trains():
    set_seed(0)
    model = VariationalAutoencoder(2, hidden=32)
    history = train(model, blobs(), epochs=3, batch_size=64, lr=3e-3, progress=False, likelihood="optimal-sigma")
    assert history.recon[-1] < history.recon[0]


def test_bad_test_data_fails_before_training():
    model = Autoencoder(2)
    before = [p.clone() for p in model.parameters()]
    with pytest.raises(ValueError, match="test_data has pixel values"):
        train(model, blobs(64), epochs=1, test_data=blobs(8).images * 255, progress=False)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # refused before any step


def test_evaluation_mode_restores_the_mode_even_on_an_error():
    model = Autoencoder(2).train()
    with pytest.raises(RuntimeError), training.evaluation_mode(model):
        assert not model.training
        raise RuntimeError
    assert model.training


def test_a_conditional_vae_learns_to_draw_the_digit_it_is_told():
    set_seed(0)
    model, data = ConditionalVariationalAutoencoder(2), blobs(512)
    history = train(model, data, epochs=8, batch_size=64, lr=3e-3, test_data=blobs(64, seed=0), progress=False)
    assert history.total[-1] < 0.5 * history.total[0] and len(history.test) == 8
    with torch.no_grad():
        drawn = model.decoder(torch.zeros(4, 2), torch.arange(4))  # z = 0, the prior's centre, for digits 0..3
    distances = torch.cdist(drawn.flatten(1), patterns().flatten(1))  # (drawn digit, pattern)
    assert torch.equal(distances.argmin(dim=1), torch.arange(4))


def test_conditional_training_and_evaluation_use_the_labels():
    set_seed(0)
    model, data = ConditionalVariationalAutoencoder(2), blobs(256)
    train(model, data, epochs=6, batch_size=64, lr=3e-3, progress=False)
    shuffled = Split(data.images, (data.labels + 1) % 4)
    assert evaluate(model, data)["recon"] < evaluate(model, shuffled)["recon"]


def test_a_conditional_model_needs_a_split():
    model, data = ConditionalVariationalAutoencoder(2), blobs(64)
    before = [p.clone() for p in model.parameters()]
    with pytest.raises(TypeError, match="needs the digit of each image.*or the data as a Split"):
        train(model, data.images, epochs=1, progress=False)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # refused before any step
    with pytest.raises(TypeError, match="or the data as a Split"):
        evaluate(model, data.images)


def test_the_convolutional_vae_trains_with_the_same_loop():
    set_seed(0)
    model, data = ConvolutionalVariationalAutoencoder(2), blobs(256)
    before = evaluate(model, data)["total"]
    history = train(model, data, epochs=20, batch_size=32, lr=3e-3, progress=False)
    assert history.total[-1] < history.total[0] and evaluate(model, data)["total"] < 0.5 * before


def _recorded_step_sizes(monkeypatch, **settings):
    seen, step = [], torch.optim.Adam.step

    def recording_step(self, *args, **kwargs):
        seen.append(self.param_groups[0]["lr"])
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", recording_step)
    train(VariationalAutoencoder(2), blobs(64), epochs=10, batch_size=16, lr=1e-2, progress=False, **settings)
    return seen


def test_the_cosine_schedule_warms_up_then_decays_to_a_tenth(monkeypatch):
    seen = _recorded_step_sizes(monkeypatch)
    # 40 steps: the warm-up is 5 % of them, 2 steps, rising linearly to lr ...
    assert len(seen) == 40 and seen[:2] == pytest.approx([5e-3, 1e-2])
    # ... then half a cosine from lr to lr / 10 over the remaining 38 steps, written out here
    cosine = [1e-3 + 9e-3 * (1 + math.cos(math.pi * k / 38)) / 2 for k in range(38)]
    assert seen[2:] == pytest.approx(cosine)
    assert all(a >= b for a, b in zip(seen[1:], seen[2:]))


def test_the_constant_schedule_keeps_lr(monkeypatch):
    assert _recorded_step_sizes(monkeypatch, schedule="constant") == pytest.approx([1e-2] * 40)


def test_a_bad_schedule_is_named():
    with pytest.raises(ValueError, match=r"schedule must be one of \('cosine', 'constant'\), got 'step'"):
        train(VariationalAutoencoder(2), blobs(8), progress=False, schedule="step")


@pytest.mark.parametrize("cls", [VariationalAutoencoder, ConditionalVariationalAutoencoder])
def test_kl_per_dimension_adds_up_to_the_kl_term(cls):
    set_seed(0)
    model, data = cls(3), blobs(100)
    per_dimension = kl_per_dimension(model, data, batch_size=32)
    assert per_dimension.shape == (3,) and (per_dimension >= 0).all()
    assert per_dimension.sum().item() == pytest.approx(evaluate(model, data)["kl"], rel=1e-5)


def test_kl_per_dimension_needs_a_variational_model():
    with pytest.raises(TypeError, match="kl_per_dimension needs a variational model .* got Autoencoder"):
        kl_per_dimension(Autoencoder(2), blobs(8))


def test_init_biases_starts_the_decoder_at_the_mean_image_and_sigma_at_e():
    set_seed(0)
    data = blobs(128).images.clone()
    data[:, :, 0] = 0  # a blank top row, as in MNIST: its logit would be -inf without the clamp
    model = init_biases(VariationalAutoencoder(2), data).requires_grad_(False)
    mean = data.reshape(128, -1).mean(dim=0)
    # sigmoid(bias) is the mean image wherever the mean is inside [0.001, 0.999]
    inside = (mean > 1e-3) & (mean < 1 - 1e-3)
    assert inside.any() and (~inside).any()
    assert torch.sigmoid(model.decoder.linear2.bias)[inside] == pytest.approx(mean[inside], abs=1e-6)
    assert torch.sigmoid(model.decoder.linear2.bias)[~inside].min() >= 1e-3 - 1e-7
    assert torch.all(model.encoder.linear3.bias == 1.0)
    # with the decoder's weights zeroed, every code decodes to the mean image
    model.decoder.linear2.weight.zero_()
    x_hat = model.decoder(torch.randn(3, 2))
    assert x_hat.reshape(3, -1)[:, inside] == pytest.approx(mean[inside].expand(3, -1), abs=1e-6)


@pytest.mark.parametrize("make", [lambda: Autoencoder(2), lambda: ConditionalVariationalAutoencoder(2),
                                  lambda: ConvolutionalVariationalAutoencoder(2)])
def test_init_biases_works_for_every_model(make):
    set_seed(0)
    data = blobs(64)
    model = make()
    before = {name: p.clone() for name, p in model.named_parameters()}
    assert init_biases(model, data) is model
    changed = {name for name, p in model.named_parameters() if not torch.equal(p, before[name])}
    expected = {"decoder.deconv2.bias" if isinstance(model, ConvolutionalVariationalAutoencoder)
                else "decoder.linear2.bias"}
    if not isinstance(model, Autoencoder):
        expected.add("encoder.linear3.bias")
    assert changed == expected
    if isinstance(model, ConvolutionalVariationalAutoencoder):  # one bias for the one channel: the mean pixel
        assert torch.sigmoid(model.decoder.deconv2.bias).item() == pytest.approx(data.images.mean().item(), abs=1e-6)


def test_init_biases_checks_the_data():
    with pytest.raises(ValueError, match="expected \\[0, 1\\]"):
        init_biases(VariationalAutoencoder(2), torch.full((4, 1, 28, 28), 3.0))


@pytest.mark.parametrize("part", ["decoder", "encoder"])
def test_init_biases_names_a_part_given_for_the_model(part):
    with pytest.raises(TypeError, match=f"needs a whole model with an encoder and .*got \\w*{part.capitalize()}"):
        init_biases(getattr(VariationalAutoencoder(2), part), blobs(8))


def test_kl_weight_rises_linearly_then_stays():
    weights = [training.kl_weight(step, 4, beta=2.0) for step in range(6)]
    assert weights == [0.5, 1.0, 1.5, 2.0, 2.0, 2.0]
    assert training.kl_weight(0, 0, beta=3.0) == 3.0


def kl_weights_seen(monkeypatch) -> list[float]:
    """The KL weight of every training step from now on, recorded by wrapping training.loss_terms."""
    seen = []
    original = training.loss_terms

    def spy(model, x, y, beta, likelihood, free_bits=0.0):
        seen.append(beta)
        return original(model, x, y, beta, likelihood, free_bits)

    monkeypatch.setattr(training, "loss_terms", spy)
    return seen


def test_kl_warmup_weighs_the_kl_term_by_step(monkeypatch):
    """With kl_warmup=1 on 4 batches per epoch, the steps see weights 1/4, 2/4, 3/4, 1, 1, ... (times beta)."""
    seen = kl_weights_seen(monkeypatch)
    set_seed(0)
    train(VariationalAutoencoder(2), blobs(512), epochs=2, batch_size=128, beta=2.0, kl_warmup=1, progress=False)
    assert seen == [0.5, 1.0, 1.5, 2.0, 2.0, 2.0, 2.0, 2.0]


@pytest.mark.parametrize("cls", [VariationalAutoencoder, ConditionalVariationalAutoencoder,
                                 ConvolutionalVariationalAutoencoder])
def test_free_bits_count_each_dimension_as_at_least_lambda(images, cls):
    """The reference: KL per dimension from torch.distributions, batch-averaged, clamped below at lambda."""
    from torch.distributions import Normal
    from torch.distributions import kl_divergence as torch_kl

    set_seed(0)
    model = cls(4)
    y = torch.arange(len(images)) % 10 if cls is ConditionalVariationalAutoencoder else None
    with torch.no_grad():
        model.encoder.linear3.bias.copy_(torch.tensor([0.0, -1.0, 0.5, -2.0]))  # dimensions with KLs on both sides
    torch.manual_seed(1)
    total, recon, kl = loss_terms(model, images, y, 3.0, "gaussian", free_bits=0.5)
    per_dimension = torch_kl(Normal(model.encoder.mu, model.encoder.sigma), Normal(0.0, 1.0)).mean(dim=0)  # (4,)
    assert (per_dimension < 0.5).any() and (per_dimension > 0.5).any()
    expected = recon + 3.0 * len(images) * per_dimension.clamp(min=0.5).sum()
    torch.testing.assert_close(total, expected)
    torch.testing.assert_close(kl, per_dimension.sum() * len(images))  # the KL reported is the true one
    torch.manual_seed(1)
    assert torch.equal(loss_terms(model, images, y, 3.0, "gaussian")[1], recon)  # same noise, same reconstruction


def test_free_bits_keep_a_heavily_weighted_kl_from_collapsing():
    def kl_after(**kwargs):
        set_seed(0)
        model = VariationalAutoencoder(2)
        train(model, blobs(), epochs=4, batch_size=64, lr=3e-3, beta=200.0, progress=False, **kwargs)
        return evaluate(model, blobs())["kl"], active_units(model, blobs())

    kl, active = kl_after()
    assert kl < 0.01 and active == 0  # collapsed: no KL, no active unit
    kl, active = kl_after(free_bits=1.0)
    assert kl > 1.0 and active == 2


def test_latent_activity_is_the_variance_of_mu_over_the_data():
    set_seed(0)
    model, data = VariationalAutoencoder(3), blobs(100)
    with torch.no_grad():
        model.encoder.linear2.weight[2] = 0  # the third dimension gives every image the same mu
    activity = training.latent_activity(model, data, batch_size=7)
    mu = model.encoder.linear2(torch.relu(model.encoder.linear1(data.images.flatten(1)))).detach().numpy()
    np_reference = mu.astype("float64").var(axis=0)  # numpy's population variance
    torch.testing.assert_close(activity, torch.from_numpy(np_reference).float(), rtol=1e-4, atol=1e-7)
    assert activity[2] < 1e-10
    assert training.active_units(model, data) == int((np_reference > training.ACTIVE).sum())
    assert training.active_units(model, data, threshold=0) == 2


def test_latent_activity_needs_a_variational_model():
    with pytest.raises(TypeError, match="latent_activity needs a variational model"):
        training.latent_activity(Autoencoder(2), blobs(8))
    with pytest.raises(ValueError, match="threshold"):
        training.active_units(VariationalAutoencoder(2), blobs(8), threshold=-1)


@pytest.mark.parametrize("name", ["kl_warmup", "free_bits"])
def test_kl_warmup_and_free_bits_must_be_non_negative(name):
    with pytest.raises(ValueError, match=name):
        train(VariationalAutoencoder(2), blobs(8), epochs=1, progress=False, **{name: -1})


def test_the_seed_offset_shifts_every_seed(monkeypatch):
    import random

    import numpy as np

    def draws():
        return random.random(), np.random.rand(), torch.rand(3).tolist()

    set_seed(100)
    expected = draws()
    monkeypatch.setenv("VAE_LAB_SEED_OFFSET", "100")
    set_seed(0)
    assert draws() == expected
    for bad in ("-5", "²", "x"):
        monkeypatch.setenv("VAE_LAB_SEED_OFFSET", bad)
        with pytest.raises(ValueError, match="VAE_LAB_SEED_OFFSET must be a whole number"):
            set_seed(0)
    monkeypatch.setenv("VAE_LAB_SEED_OFFSET", str(2**32))
    with pytest.raises(ValueError, match="seed \\+ \\$VAE_LAB_SEED_OFFSET"):
        set_seed(0)


def test_free_bits_need_a_variational_model():
    with pytest.raises(TypeError, match="train with free_bits needs a variational model"):
        train(Autoencoder(2), blobs(8), epochs=1, free_bits=1.0, progress=False)


def test_a_warm_up_longer_than_training_is_refused():
    with pytest.raises(ValueError, match="kl_warmup=3 is longer than the training \\(epochs=2\\)"):
        train(VariationalAutoencoder(2), blobs(8), epochs=2, kl_warmup=3, progress=False)


def test_a_short_warm_up_still_takes_a_step_and_the_history_keeps_the_full_beta(monkeypatch):
    seen = kl_weights_seen(monkeypatch)
    set_seed(0)
    history = train(VariationalAutoencoder(2), blobs(512), epochs=1, batch_size=128, beta=2.0, kl_warmup=0.3,
                    progress=False)
    assert seen == [1.0, 2.0, 2.0, 2.0]  # 0.3 epochs of 4 steps = 1.2 steps, rounded up to 2
    assert history.total[0] == pytest.approx(history.recon[0] + 2.0 * history.kl[0])


def test_the_lectures_dataloader_trains_as_its_tensors_do():
    """train(model, data, epochs) with the lecture's DataLoader: the same result as with the Split it serves."""
    split = blobs(64)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(split.images, split.labels), batch_size=16,
                                         shuffle=True)
    losses = []
    for data in (split, loader):
        torch.manual_seed(0)
        model = VariationalAutoencoder(2, hidden=16)
        losses.append(train(model, data, 2, batch_size=32, progress=False).total)
    assert losses[0] == losses[1]
    assert evaluate(model, loader).keys() == {"recon", "kl", "total"}


def test_free_bits_beyond_what_a_code_can_use_is_refused_before_any_step():
    model = VariationalAutoencoder(2, hidden=16)
    with pytest.raises(ValueError, match="free_bits=1e\\+38"):
        train(model, blobs(32), 1, free_bits=1e38, progress=False)


def test_a_seed_offset_too_long_for_numpy_names_the_variable(monkeypatch):
    monkeypatch.setenv("VAE_LAB_SEED_OFFSET", "9" * 5000)
    with pytest.raises(ValueError, match="VAE_LAB_SEED_OFFSET"):
        set_seed(0)
