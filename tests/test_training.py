import math

import pytest
import torch
from conftest import says
from synthetic import blobs, patterns

from vae_lab import training
from vae_lab.beyond.variants import (
    ConditionalVariationalAutoencoder,
    ConvolutionalVariationalAutoencoder,
    conditional_loss,
)
from vae_lab.data import Split
from vae_lab.models import Autoencoder, VariationalAutoencoder
from vae_lab.training import History, evaluate, get_device, init_biases, set_seed, train, vae_loss


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


def test_history_adds_up_and_records_the_test_set(vae):
    model, test = vae, blobs(64, seed=1)
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


def test_vae_loss_is_the_lectures_loss(vae, images):
    """The lecture's line, ((x - x_hat)**2).sum() + vae.encoder.kl, on the same batch and the same noise."""
    torch.manual_seed(1)
    total, recon, kl = vae_loss(vae, images)
    torch.manual_seed(1)
    x_hat = vae(images)
    assert torch.equal(total, ((images - x_hat) ** 2).sum() + vae.encoder.kl)
    assert torch.equal(recon + kl, total) and kl > 0
    total, recon, kl = vae_loss(Autoencoder(2), images, beta=4.0)
    assert kl.item() == 0 and torch.equal(total, recon)


def test_evaluate_is_per_image():
    model = Autoencoder(2)
    data = blobs(100)
    result = evaluate(model, data)
    with torch.no_grad():
        expected = ((model(data.images) - data.images) ** 2).sum().item() / 100
    assert result["recon"] == pytest.approx(expected, rel=1e-5)
    assert result["total"] == result["recon"] and result["kl"] == 0


def test_uint8_data_is_accepted_and_scaled_at_the_door():
    data = blobs(128)
    raw = (data.images * 255).round().to(torch.uint8)
    model = Autoencoder(2)
    assert evaluate(model, raw)["recon"] == pytest.approx(evaluate(model, raw.float() / 255)["recon"], rel=1e-6)
    history = train(model, raw, epochs=1, progress=False)
    assert len(history) == 1


def test_the_loss_gets_the_labels_of_a_split_and_none_for_a_tensor():
    seen = []

    def recording(model, x, y):
        seen.append(y)
        return vae_loss(model, x, y)

    data = blobs(8)
    train(Autoencoder(2, hidden=8), data, epochs=1, batch_size=8, loss=recording, progress=False)
    evaluate(Autoencoder(2, hidden=8), data.images, loss=recording)
    assert torch.equal(torch.sort(seen[0]).values, torch.sort(data.labels).values) and seen[1] is None


@pytest.mark.parametrize(
    "kwargs, error, parts",
    [  # the argument, the value given, what it must be
        ({"epochs": 0}, ValueError, ["epochs", "0", ">= 1"]),
        ({"epochs": 2.5}, TypeError, ["epochs", "2.5", "float"]),
        ({"batch_size": -1}, ValueError, ["batch_size", "-1", ">= 1"]),
        ({"lr": 0}, ValueError, ["lr", "0.0", "> 0"]),
        ({"lr": float("inf")}, ValueError, ["lr", "inf"]),
        ({"model": VariationalAutoencoder(2).decoder}, TypeError, ["train", "Decoder", "the model itself"]),
    ],
)
def test_bad_arguments_are_named(kwargs, error, parts):
    arguments = {"model": Autoencoder(2), "data": blobs(8), "progress": False} | kwargs
    with pytest.raises(error) as raised:
        train(**arguments)
    says(raised, *parts)


SCALED, CENTRED = blobs(8).images * 255, blobs(8).images - 0.5
BAD_DATA = [  # images, the error, and what its message must say besides the argument's name: the value, the fix
    (torch.full((8, 1, 28, 28), float("nan")), ValueError, ["NaN", "infinite", "[0, 1]"]),
    (SCALED, ValueError, [f"{SCALED.max().item():g}", "[0, 1]", "by 255"]),
    (CENTRED, ValueError, [f"{CENTRED.min().item():g}", "[0, 1]", "normalise"]),
    (torch.rand(8, 3, 32, 32), ValueError, ["(8, 3, 32, 32)", "28x28"]),
    (torch.rand(4, 1, 32, 32), ValueError, ["(4, 1, 32, 32)", "28x28"]),
    (torch.rand(784), ValueError, ["(784,)", "x.unsqueeze(0)"]),
    (torch.rand(0, 1, 28, 28), ValueError, ["(0, 1, 28, 28)", "non-empty"]),
    (torch.randint(0, 255, (2, 1, 28, 28)), TypeError, ["torch.int64", "uint8"]),
    ([[0.0] * 784], TypeError, ["list", "torch.as_tensor"]),
    (torch.rand(8, 1, 28, 28, device="meta"), ValueError, ["'meta'", "real data"]),
]


@pytest.mark.parametrize("data, error, parts", BAD_DATA)
@pytest.mark.parametrize("cls", [Autoencoder, VariationalAutoencoder])
def test_bad_images_are_refused_at_the_door_before_any_step(cls, data, error, parts):
    """The models trust their inputs; train and evaluate check them once, before the model runs."""
    model = cls(2, hidden=8)
    before = [p.clone() for p in model.parameters()]
    with pytest.raises(error) as raised:
        train(model, data, epochs=1, progress=False)
    says(raised, "data", *parts)
    with pytest.raises(error) as raised:
        evaluate(model, data)
    says(raised, "data", *parts)
    with pytest.raises(error) as raised:
        train(model, blobs(8), epochs=1, test_data=data, progress=False)
    says(raised, "test_data", *parts)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


class FailingAt(torch.nn.Module):
    """Wraps a model and, at one call of forward, raises or returns NaN."""

    def __init__(self, model, at_call, failure):
        super().__init__()
        self.model, self.encoder, self.decoder = model, model.encoder, model.decoder
        self.at_call, self.failure, self.calls = at_call, failure, 0

    def forward(self, x):
        self.calls += 1
        x_hat = self.model(x)
        if self.calls == self.at_call:
            if self.failure == "interrupt":
                raise KeyboardInterrupt
            return x_hat * float("nan")
        return x_hat


def test_a_nan_loss_stops_training_at_the_end_of_its_epoch_with_what_to_do(vae):
    model = FailingAt(vae, at_call=4 + 3, failure="nan")  # 4 batches an epoch
    with pytest.raises(FloatingPointError) as error:
        train(model, blobs(256), epochs=3, batch_size=64, lr=1e-3, progress=False)
    says(error, "nan", "epoch 2", "diverged", "fresh model", "lr=0.0001")  # what, when, and what to do: lr / 10
    assert model.calls == 8  # the rest of epoch 2 ran, epoch 3 did not


def test_ctrl_c_returns_the_history_so_far_and_a_usable_model(vae, images):
    model = FailingAt(vae, at_call=4 + 2, failure="interrupt")
    with pytest.warns(UserWarning) as caught:
        history = train(model, blobs(256), epochs=3, batch_size=64, progress=False)
    says(caught, "interrupted", "1 finished epochs", "keeps its weights")
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


def test_bad_test_data_fails_before_training():
    model = Autoencoder(2)
    before = [p.clone() for p in model.parameters()]
    with pytest.raises(ValueError) as error:
        train(model, blobs(64), epochs=1, test_data=SCALED, progress=False)
    says(error, "test_data", f"{SCALED.max().item():g}", "by 255")
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
    history = train(model, data, epochs=8, batch_size=64, lr=3e-3, test_data=blobs(64, seed=0), progress=False,
                    loss=conditional_loss)
    assert history.total[-1] < 0.5 * history.total[0] and len(history.test) == 8
    with torch.no_grad():
        drawn = model.decoder(torch.zeros(4, 2), torch.arange(4))  # z = 0, the prior's centre, for digits 0..3
    distances = torch.cdist(drawn.flatten(1), patterns().flatten(1))  # (drawn digit, pattern)
    assert torch.equal(distances.argmin(dim=1), torch.arange(4))


def test_conditional_training_and_evaluation_use_the_labels():
    set_seed(0)
    model, data = ConditionalVariationalAutoencoder(2), blobs(256)
    train(model, data, epochs=6, batch_size=64, lr=3e-3, progress=False, loss=conditional_loss)
    shuffled = Split(data.images, (data.labels + 1) % 4)
    assert evaluate(model, data, conditional_loss)["recon"] < evaluate(model, shuffled, conditional_loss)["recon"]


def test_a_conditional_model_needs_a_split():
    model, data = ConditionalVariationalAutoencoder(2), blobs(64)
    before = [p.clone() for p in model.parameters()]
    for loss in (conditional_loss, vae_loss):  # vae_loss does not pass y: the model asks for it as well
        with pytest.raises(TypeError) as error:
            train(model, data.images, epochs=1, progress=False, loss=loss)
        says(error, "digit", "y=None", "Split")
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # refused before any step
    with pytest.raises(TypeError) as error:
        evaluate(model, data.images, loss=conditional_loss)
    says(error, "digit", "y=None", "Split")


@pytest.mark.parametrize("count", [19, 21])
@pytest.mark.parametrize("as_list", [False, True])
@pytest.mark.parametrize("cls, loss", [(VariationalAutoencoder, vae_loss),
                                       (ConditionalVariationalAutoencoder, conditional_loss)])
def test_fewer_or_more_labels_than_images_name_both_counts_before_any_step(cls, loss, count, as_list):
    model, data = cls(2, hidden=8), blobs(20)
    labels = torch.arange(count) % 4
    wrong = Split(data.images, labels.tolist() if as_list else labels)
    before = [p.clone() for p in model.parameters()]
    counts = ["(20,)", f"({count},)", f"{count} labels", "20 images"]
    with pytest.raises(ValueError) as error:
        train(model, wrong, epochs=1, progress=False, loss=loss)
    says(error, "data.labels", *counts)
    with pytest.raises(ValueError) as error:
        train(model, data, epochs=1, test_data=wrong, progress=False, loss=loss)
    says(error, "test_data.labels", *counts)
    with pytest.raises(ValueError) as error:
        evaluate(model, wrong, loss=loss)
    says(error, "data.labels", *counts)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # refused before any step


def test_the_convolutional_vae_trains_with_the_same_loop():
    set_seed(0)
    model, data = ConvolutionalVariationalAutoencoder(2), blobs(256)
    before = evaluate(model, data)["total"]
    history = train(model, data, epochs=20, batch_size=32, lr=3e-3, progress=False)
    assert history.total[-1] < history.total[0] and evaluate(model, data)["total"] < 0.5 * before


def _recorded_step_sizes(monkeypatch, model, **settings):
    seen, step = [], torch.optim.Adam.step

    def recording_step(self, *args, **kwargs):
        seen.append(self.param_groups[0]["lr"])
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", recording_step)
    train(model, blobs(64), epochs=10, batch_size=16, lr=1e-2, progress=False, **settings)
    return seen


def test_the_cosine_schedule_warms_up_then_decays_to_a_tenth(monkeypatch, vae):
    seen = _recorded_step_sizes(monkeypatch, vae)
    # 40 steps: the warm-up is 5 % of them, 2 steps, rising linearly to lr ...
    assert len(seen) == 40 and seen[:2] == pytest.approx([5e-3, 1e-2])
    # ... then half a cosine from lr to lr / 10 over the remaining 38 steps, written out here
    cosine = [1e-3 + 9e-3 * (1 + math.cos(math.pi * k / 38)) / 2 for k in range(38)]
    assert seen[2:] == pytest.approx(cosine)
    assert [training.lr_factor(step, 40) * 1e-2 for step in range(40)] == pytest.approx(seen)
    assert all(a >= b for a, b in zip(seen[1:], seen[2:]))


def test_init_biases_starts_the_decoder_at_the_mean_image_and_sigma_at_e(vae):
    data = blobs(128).images.clone()
    data[:, :, 0] = 0  # a blank top row, as in MNIST: its logit would be -inf without the clamp
    model = init_biases(vae, data).requires_grad_(False)
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


def test_init_biases_checks_the_data(vae):
    with pytest.raises(ValueError) as error:
        init_biases(vae, torch.full((4, 1, 28, 28), 3.0))
    says(error, "data", "3", "[0, 1]", "by 255")


@pytest.mark.parametrize("part", ["decoder", "encoder"])
def test_init_biases_names_a_part_given_for_the_model(vae, part):
    with pytest.raises(TypeError) as error:
        init_biases(getattr(vae, part), blobs(8))
    says(error, "init_biases", type(getattr(vae, part)).__name__, "the model itself")


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
        with pytest.raises(ValueError) as error:
            set_seed(0)
        says(error, "$VAE_LAB_SEED_OFFSET", repr(bad), f"{2**32 - 1}")
    monkeypatch.setenv("VAE_LAB_SEED_OFFSET", str(2**32))
    with pytest.raises(ValueError) as error:
        set_seed(0)
    says(error, "seed + $VAE_LAB_SEED_OFFSET", f"{2**32}", f"{2**32 - 1:,}")


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


def test_a_seed_offset_too_long_for_numpy_names_the_variable(monkeypatch):
    monkeypatch.setenv("VAE_LAB_SEED_OFFSET", "9" * 5000)
    with pytest.raises(ValueError) as error:
        set_seed(0)
    assert len(says(error, "$VAE_LAB_SEED_OFFSET", "5,000 characters")) < 200  # named, not printed whole


def test_the_history_passed_for_the_model_is_named(vae):
    """The lecture writes `vae = train(vae, data)`; here train returns a History, and the next call says so."""
    history = train(vae, torch.rand(8, 1, 28, 28), epochs=1, progress=False)
    with pytest.raises(TypeError) as error:
        evaluate(history, torch.rand(8, 1, 28, 28))
    says(error, "evaluate", "History", "history = train(vae, data)")  # what was given, and how to keep the model
