import pytest
import torch

from vae_lab import cache as cache_module
from vae_lab import training
from vae_lab.cache import RETRAIN_ENV, CacheWarning, cached_train
from vae_lab.data import Split
from vae_lab.models import ConditionalVariationalAutoencoder, VariationalAutoencoder
from vae_lab.training import set_seed, train


@pytest.fixture
def data():
    return torch.rand(256, 1, 28, 28, generator=torch.Generator().manual_seed(0))


def fresh_model():
    set_seed(0)
    return VariationalAutoencoder(2)


def run(data, folder, **settings):
    model = fresh_model()
    history = train(model, data, epochs=2, batch_size=64, progress=False, cache=folder, **settings)
    return model, history


class CountingTrain:
    """Wraps the real train to count how often cached_train falls back to training."""

    def __init__(self, monkeypatch):
        self.calls, self.real = 0, training.train

        def counting(*args, **kwargs):
            self.calls += 1
            return self.real(*args, **kwargs)

        monkeypatch.setattr(training, "train", counting)


def test_hit_loads_the_same_model_history_and_random_state(tmp_path, data, monkeypatch):
    trained, first = run(data, tmp_path)
    after_training = torch.rand(3)
    counter = CountingTrain(monkeypatch)
    loaded, second = run(data, tmp_path)
    assert counter.calls == 0 and second.from_cache and not first.from_cache
    assert second.total == first.total and second.seconds == first.seconds
    assert all(torch.equal(a, b) for a, b in zip(trained.parameters(), loaded.parameters()))
    assert torch.equal(torch.rand(3), after_training)  # later cells see the same random numbers
    assert len(list(tmp_path.glob("*.pt"))) == 1


@pytest.mark.parametrize("change", ["lr", "data", "weights", "seed"])
def test_a_different_training_misses(tmp_path, data, change, monkeypatch):
    run(data, tmp_path)
    counter = CountingTrain(monkeypatch)
    model = fresh_model()
    settings = {"epochs": 2, "batch_size": 64, "lr": 1e-3}
    if change == "lr":
        settings["lr"] = 2e-3
    if change == "data":
        data = data.flip(0)
    if change == "weights":
        model = VariationalAutoencoder(2)  # other initial weights
    if change == "seed":
        torch.manual_seed(99)
    history = cached_train(model, data, cache_dir=tmp_path, progress=False, **settings)
    assert counter.calls == 1 and not history.from_cache
    assert len(list(tmp_path.glob("*.pt"))) == 2


def test_an_unreadable_entry_is_retrained_with_a_warning(tmp_path, data, monkeypatch):
    trained, first = run(data, tmp_path)
    (entry,) = tmp_path.glob("*.pt")
    entry.write_bytes(b"not a model")
    counter = CountingTrain(monkeypatch)
    with pytest.warns(CacheWarning, match="Could not read the cached model .*training again"):
        model, history = run(data, tmp_path)
    assert counter.calls == 1 and not history.from_cache
    assert history.total == first.total  # trained again from the same start
    assert entry.stat().st_size > 1000  # and the entry is written anew


@pytest.mark.parametrize("how", ["environment", "argument"])
def test_retraining_can_be_forced(tmp_path, data, monkeypatch, how):
    run(data, tmp_path)
    counter = CountingTrain(monkeypatch)
    if how == "environment":
        monkeypatch.setenv(RETRAIN_ENV, "1")
        history = run(data, tmp_path)[1]
    else:
        history = cached_train(fresh_model(), data, cache_dir=tmp_path, retrain=True, epochs=2, batch_size=64,
                               lr=1e-3, progress=False)
    assert counter.calls == 1 and not history.from_cache


def test_the_default_folder_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(cache_module.CACHE_ENV, str(tmp_path))
    assert cache_module.default_cache_dir() == tmp_path


def test_a_conditional_model_is_keyed_on_its_labels_too(tmp_path, data, monkeypatch):
    def run_conditional(labels):
        set_seed(0)
        model = ConditionalVariationalAutoencoder(2)
        return train(model, Split(data, labels), epochs=1, batch_size=64, progress=False, cache=tmp_path)

    labels = torch.arange(len(data)) % 10
    assert not run_conditional(labels).from_cache
    assert run_conditional(labels).from_cache
    counter = CountingTrain(monkeypatch)
    assert not run_conditional(labels.flip(0)).from_cache and counter.calls == 1


def test_beta_one_and_one_point_zero_share_an_entry(tmp_path, data):
    run(data, tmp_path, beta=1)
    assert run(data, tmp_path, beta=1.0)[1].from_cache
    assert len(list(tmp_path.glob("*.pt"))) == 1
