"""cached(train, model, data, ...): hits, misses when anything that decides the result changes, and the faults it
survives."""

import functools
import os
import re
import stat
import subprocess
import sys
import textwrap

import pytest
import torch
from conftest import says
from faults import python_with_full_disk

from vae_lab import training
from vae_lab.beyond.variants import ConditionalVariationalAutoencoder, conditional_loss
from vae_lab.course import cache
from vae_lab.course.cache import RETRAIN_ENV, CacheWarning, cached
from vae_lab.data import Split
from vae_lab.models import VariationalAutoencoder, VariationalEncoder
from vae_lab.training import set_seed, vae_loss

SETTINGS = {"epochs": 2, "batch_size": 64, "progress": False}


@pytest.fixture
def data():
    return torch.rand(256, 1, 28, 28, generator=torch.Generator().manual_seed(0))


def fresh_model(cls=VariationalAutoencoder):
    set_seed(0)
    return cls(2)


def run(data, folder, model=None, train=training.train, **settings):
    model = fresh_model() if model is None else model
    return model, cached(train, model, data, folder=folder, **(SETTINGS | settings))


class CountingTrain:
    """training.train that counts how often the cache falls back to training; keyed as training.train itself."""

    def __init__(self):
        self.calls, real = 0, training.train

        @functools.wraps(real)  # the cache reads train's signature and source through the wrapper
        def counting(*args, **kwargs):
            self.calls += 1
            return real(*args, **kwargs)

        self.train = counting


def same_weights(a, b):
    return all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_hit_loads_the_same_model_history_and_random_state(tmp_path, data):
    trained, first = run(data, tmp_path)
    after_training = torch.rand(3)
    counter = CountingTrain()
    loaded, second = run(data, tmp_path, train=counter.train)
    assert counter.calls == 0 and second.from_cache and not first.from_cache
    assert second.total == first.total and second.seconds == first.seconds
    assert same_weights(trained, loaded)
    assert torch.equal(torch.rand(3), after_training)  # later cells see the same random numbers
    assert len(list(tmp_path.glob("*.pt"))) == 1


def test_a_miss_is_train_itself(tmp_path, data):
    model = fresh_model()
    history = cached(training.train, model, data, folder=tmp_path, **SETTINGS)
    reference = fresh_model()
    assert history.total == training.train(reference, data, **SETTINGS).total and same_weights(model, reference)
    assert not history.from_cache


def test_the_entry_is_named_by_the_class_and_the_latent_dimensions(tmp_path, data):
    run(data, tmp_path)
    (entry,) = tmp_path.glob("*.pt")
    assert entry.name.startswith("VariationalAutoencoder-2d-")


@pytest.mark.parametrize("change", ["lr", "epochs", "data", "weights", "seed", "constant", "test_data", "loss",
                                    "loss setting"])
def test_a_different_training_misses(tmp_path, data, change, monkeypatch):
    run(data, tmp_path)
    counter = CountingTrain()
    model, settings = fresh_model(), {}
    if change == "lr":
        settings["lr"] = 2e-3
    if change == "epochs":
        settings["epochs"] = 1
    if change == "data":
        data = data.flip(0)
    if change == "weights":
        model = VariationalAutoencoder(2)  # other initial weights
    if change == "seed":
        torch.manual_seed(99)
    if change == "constant":  # a training constant edited, e.g. in a notebook
        monkeypatch.setattr(training, "WARMUP", 0.2)
    if change == "test_data":
        settings["test_data"] = data[:32]
    if change == "loss":
        settings["loss"] = functools.partial(vae_loss, beta=4.0)
    if change == "loss setting":  # the first run was partial(vae_loss, beta=1.0)'s equal; a second beta differs too
        run(data, tmp_path, fresh_model(), loss=functools.partial(vae_loss, beta=2.0))
        settings["loss"] = functools.partial(vae_loss, beta=3.0)
    history = run(data, tmp_path, model, train=counter.train, **settings)[1]
    assert counter.calls == 1 and not history.from_cache
    assert len(list(tmp_path.glob("*.pt"))) == (3 if change == "loss setting" else 2)


def test_the_same_settings_written_another_way_share_an_entry(tmp_path, data):
    """beta=1 and beta=1.0 train the same model; progress does not change the result; defaults count as written."""
    run(data, tmp_path, loss=functools.partial(vae_loss, beta=1))
    assert run(data, tmp_path, loss=functools.partial(vae_loss, beta=1.0), progress=True)[1].from_cache
    assert run(data, tmp_path, loss=functools.partial(vae_loss, beta=1.0), lr=training.LEARNING_RATE)[1].from_cache
    assert len(list(tmp_path.glob("*.pt"))) == 1


def test_another_training_function_misses_and_its_own_arguments_are_keyed(tmp_path, data):
    """A notebook's own loop of the same shape is cached too; its source and its arguments are in the key."""
    calls = []

    def noisy_train(model, data, epochs=1, *, noise=0.0, batch_size=64, progress=False):
        calls.append(noise)
        return training.train(model, (data.images + noise * torch.rand_like(data.images)).clamp(0, 1),
                              epochs, batch_size=batch_size, progress=progress)

    run(data, tmp_path)  # training.train
    assert not run(data, tmp_path, train=noisy_train, epochs=2, noise=0.0)[1].from_cache
    assert run(data, tmp_path, train=noisy_train, epochs=2, noise=0.0, progress=True)[1].from_cache
    assert not run(data, tmp_path, train=noisy_train, epochs=2, noise=0.1)[1].from_cache
    assert calls == [0.0, 0.1] and len(list(tmp_path.glob("*.pt"))) == 3

    def noisy_train(model, data, epochs=1, *, noise=0.0, batch_size=64, progress=False):  # noqa: F811 - edited, under one name
        calls.append(noise)
        return training.train(model, (data.images + 2 * noise * torch.rand_like(data.images)).clamp(0, 1),
                              epochs, batch_size=batch_size, progress=progress)

    assert not run(data, tmp_path, train=noisy_train, epochs=2, noise=0.1)[1].from_cache
    assert calls == [0.0, 0.1, 0.1]


def test_arguments_the_training_function_does_not_take_are_refused_before_training(tmp_path, data):
    counter = CountingTrain()
    with pytest.raises(TypeError) as error:
        run(data, tmp_path, train=counter.train, epochz=2)
    says(error, "'epochz'")
    assert counter.calls == 0 and list(tmp_path.iterdir()) == []


def test_the_lectures_dataloader_is_read_as_its_tensor(tmp_path, data):
    labels = torch.arange(len(data)) % 10
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data, labels), batch_size=32, shuffle=True)
    _, first = run(Split(data, labels), tmp_path)
    assert not first.from_cache
    assert run(loader, tmp_path)[1].from_cache  # the same images: the same entry, in whatever order the loader gives


def blog_encoder_class(blog_kl: bool):
    """A VariationalEncoder subclass, always with the same name and source; only what it computes differs."""

    class StudentEncoder(VariationalEncoder):
        def forward(self, x):
            z = super().forward(x)
            if blog_kl:  # the blog's formula, the KL to N(0, 1/2) plus a constant
                self.kl = (self.sigma**2 + self.mu**2 - self.log_sigma - 0.5).sum()
            return z

    return StudentEncoder


def test_a_class_that_computes_something_else_under_the_same_name_misses(tmp_path, data):
    def model_with(encoder_class):
        model = fresh_model()
        model.encoder = encoder_class(2)
        return model

    run(data, tmp_path, model_with(blog_encoder_class(False)))
    assert run(data, tmp_path, model_with(blog_encoder_class(False)))[1].from_cache
    counter = CountingTrain()
    history = run(data, tmp_path, model_with(blog_encoder_class(True)), train=counter.train)[1]
    assert counter.calls == 1 and not history.from_cache


def test_a_class_edited_in_place_misses(tmp_path, data, monkeypatch):
    """The notebook case: a student edits a class's forward and runs the cell that defines it again."""
    module = tmp_path / "student_code.py"
    monkeypatch.syspath_prepend(str(tmp_path))
    lecture = """
        import torch
        from vae_lab.models import VariationalEncoder

        class Encoder(VariationalEncoder):
            def forward(self, x):
                z = super().forward(x)
                self.kl = {kl}
                return z
    """
    import importlib

    def fresh_with(kl):
        module.write_text(textwrap.dedent(lecture.format(kl=kl)))
        sys.modules.pop("student_code", None)
        importlib.invalidate_caches()
        model = fresh_model()
        model.encoder = importlib.import_module("student_code").Encoder(2)
        return model

    run(data, tmp_path / "cache", fresh_with("self.kl"))
    assert run(data, tmp_path / "cache", fresh_with("self.kl"))[1].from_cache
    counter = CountingTrain()
    history = run(data, tmp_path / "cache", fresh_with("(self.sigma**2 + self.mu**2 - self.log_sigma - 0.5).sum()"),
                  train=counter.train)[1]
    assert counter.calls == 1 and not history.from_cache


def test_a_zeroed_entry_is_retrained_with_a_warning(tmp_path, data):
    trained, first = run(data, tmp_path)
    (entry,) = tmp_path.glob("*.pt")
    raw = bytearray(entry.read_bytes())
    raw[len(raw) // 2 : len(raw) // 2 + 64] = bytes(64)
    entry.write_bytes(bytes(raw))
    counter = CountingTrain()
    with pytest.warns(CacheWarning) as caught:
        model, history = run(data, tmp_path, train=counter.train)
    says(caught, str(entry), "damaged", "training again", "nothing to do")
    assert counter.calls == 1 and not history.from_cache and same_weights(model, trained)
    assert history.total == first.total  # trained again from the same start, the same result
    assert run(data, tmp_path)[1].from_cache  # and the entry was written anew


def test_a_damaged_entry_s_warning_names_it_once_and_gives_no_advice_for_saved_files(tmp_path, data):
    run(data, tmp_path)
    (entry,) = tmp_path.glob("*.pt")
    entry.write_bytes(b"not a checkpoint")
    with pytest.warns(CacheWarning) as caught:
        run(data, tmp_path)
    (message,) = [str(w.message) for w in caught if issubclass(w.category, CacheWarning)]
    assert message.count(str(entry)) == 1 and "save_model" not in message
    says(message, "not a readable checkpoint", "training again", "nothing to do")


@pytest.mark.parametrize("damage", ["not a model", "unexpected field"])
def test_a_failed_read_leaves_the_random_state_and_weights_as_they_were(tmp_path, data, damage):
    _, first = run(data, tmp_path)
    (entry,) = tmp_path.glob("*.pt")
    if damage == "not a model":
        entry.write_bytes(b"not a model")
    else:
        contents = torch.load(entry, weights_only=True)
        contents["history"]["learning_rates"] = [1.0]  # a field History does not have
        torch.save(contents, entry)
    clean_model = fresh_model()
    clean = training.train(clean_model, data, **SETTINGS)
    with pytest.warns(CacheWarning):
        model, history = run(data, tmp_path)
    assert history.total == clean.total == first.total and same_weights(model, clean_model)


def test_retraining_can_be_forced(tmp_path, data, monkeypatch):
    run(data, tmp_path)
    counter = CountingTrain()
    monkeypatch.setenv(RETRAIN_ENV, "1")
    assert not run(data, tmp_path, train=counter.train)[1].from_cache and counter.calls == 1


def test_a_cache_that_cannot_be_written_warns_and_keeps_the_training(tmp_path, data):
    blocked = tmp_path / "a-file"
    blocked.write_text("a file where the cache folder should be")
    with pytest.warns(CacheWarning) as caught:
        model, history = run(data, blocked / "models")
    says(caught, str(blocked / "models"), "Not a directory", "kept in memory")
    assert len(history) == 2 and not history.from_cache
    reference = fresh_model()
    training.train(reference, data, **SETTINGS)
    assert same_weights(model, reference)


def test_non_finite_weights_are_never_cached(tmp_path, data):
    def ends_in_nan(model, *args, **kwargs):
        history = training.train(model, *args, **kwargs)
        with torch.no_grad():
            next(model.parameters())[0, 0] = float("nan")
        return history

    with pytest.warns(CacheWarning) as caught:
        run(data, tmp_path, train=ends_in_nan)
    says(caught, "NaN", "infinite", "not cached")
    assert list(tmp_path.glob("*.pt")) == []


def test_an_interrupted_training_is_not_cached(tmp_path, data):
    def interrupted(model, data, epochs=1, **kwargs):
        history = training.train(model, data, 1, **kwargs)
        history.interrupted = True  # as after Ctrl-C
        return history

    assert len(run(data, tmp_path, train=interrupted)[1]) == 1
    assert list(tmp_path.iterdir()) == []


def test_two_processes_training_the_same_entry_both_succeed(tmp_path):
    script = textwrap.dedent(f"""
        import torch
        from vae_lab import VariationalAutoencoder, set_seed, train
        from vae_lab.course.cache import cached
        data = torch.rand(512, 1, 28, 28, generator=torch.Generator().manual_seed(0))
        set_seed(0)
        history = cached(train, VariationalAutoencoder(2), data, epochs=2, batch_size=64, progress=False,
                         folder={str(tmp_path)!r})
        print(history.total[-1], history.from_cache)
    """)
    processes = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
    results = [p.communicate(timeout=300) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], [err for _, err in results]
    assert results[0][0] == results[1][0]  # the same training, the same loss
    assert [f.suffix for f in tmp_path.iterdir()] == [".pt"]  # one entry, no temporary file left
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert loaded.stdout == results[0][0].replace("False", "True")


def test_the_default_folder_comes_from_the_environment(tmp_path, monkeypatch, data):
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    assert cache.default_cache_dir() == tmp_path
    set_seed(0)
    cached(training.train, VariationalAutoencoder(2), data, **SETTINGS)
    assert len(list(tmp_path.glob("*.pt"))) == 1


def test_a_conditional_model_is_keyed_on_its_labels_too(tmp_path, data):
    def run_conditional(labels):
        model = fresh_model(ConditionalVariationalAutoencoder)
        return cached(training.train, model, Split(data, labels), epochs=1, loss=conditional_loss, batch_size=64,
                      progress=False, folder=tmp_path)

    labels = torch.arange(len(data)) % 10
    assert not run_conditional(labels).from_cache
    assert run_conditional(labels).from_cache
    assert not run_conditional(labels.flip(0)).from_cache
    assert len(list(tmp_path.glob("ConditionalVariationalAutoencoder-2d-*.pt"))) == 2


def test_cached_is_a_named_step_and_vae_lab_train_is_train_itself():
    import inspect

    import vae_lab

    assert vae_lab.train is training.train and not hasattr(vae_lab.train, "__wrapped__")
    assert list(inspect.signature(cached).parameters)[:3] == ["train", "model", "data"]
    assert "folder" in inspect.signature(cached).parameters


def test_a_full_disk_warns_and_returns_the_history(tmp_path):
    script = textwrap.dedent(f"""
        import warnings
        import torch
        from vae_lab import VariationalAutoencoder, train
        from vae_lab.course.cache import cached
        data = torch.rand(256, 1, 28, 28, generator=torch.Generator().manual_seed(0))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = cached(train, VariationalAutoencoder(2), data, epochs=2, batch_size=64, progress=False,
                             folder={str(tmp_path)!r})
        print(len(history), history.from_cache)
        print(*(f"{{w.category.__name__}}: {{w.message}}" for w in caught), sep="\\n")
    """)
    result = python_with_full_disk(script, 20_000, cwd=os.getcwd())  # an entry takes ~1.6 MB
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("2 False\nCacheWarning: Could not write the cache entry")
    assert "File too large); the trained model is kept in memory only." in result.stdout
    assert list(tmp_path.iterdir()) == []  # no half entry, no temporary file


def test_any_failure_to_write_an_entry_warns_and_returns_the_history(tmp_path, data, monkeypatch):
    def torch_on_a_full_disk(*args, **kwargs):
        raise RuntimeError("[enforce fail at inline_container.cc:626] . unexpected pos 64 vs 0")

    monkeypatch.setattr(torch, "save", torch_on_a_full_disk)
    with pytest.warns(CacheWarning) as caught:
        model, history = run(data, tmp_path)
    says(caught, str(tmp_path), "RuntimeError", "unexpected pos 64", "kept in memory")
    assert len(history) == 2 and list(tmp_path.iterdir()) == []


def test_an_entry_is_readable_by_other_users(tmp_path, data):
    old_umask = os.umask(0o022)
    try:
        run(data, tmp_path)
    finally:
        os.umask(old_umask)
    [entry] = tmp_path.iterdir()
    assert stat.S_IMODE(entry.stat().st_mode) == 0o644  # the instructor's cache, read by the class


@pytest.mark.parametrize("value, retrains", [("", False), ("0", False), ("00", False), ("false", False),
                                             ("No", False), ("off", False), ("1", True), ("01", True),
                                             ("true", True), ("YES", True)])
def test_the_retrain_variable_reads_as_a_person_means_it(tmp_path, data, monkeypatch, value, retrains):
    run(data, tmp_path)
    counter = CountingTrain()
    monkeypatch.setenv(RETRAIN_ENV, value)
    assert run(data, tmp_path, train=counter.train)[1].from_cache is not retrains and counter.calls == retrains


def test_a_retrain_value_that_means_nothing_is_named(tmp_path, data, monkeypatch):
    run(data, tmp_path)
    monkeypatch.setenv(RETRAIN_ENV, "maybe")
    with pytest.raises(ValueError) as error:
        run(data, tmp_path)
    says(error, "$VAE_LAB_RETRAIN", "1", "0", "'maybe'")


def test_a_model_without_latent_dims_is_named_by_its_decoders_input(tmp_path, data):
    """A model written like the lecture's, with no latent_dims attribute, is cached too."""
    model = fresh_model()
    del model.latent_dims
    cached(training.train, model, data, folder=tmp_path, **SETTINGS)
    (entry,) = tmp_path.glob("*.pt")
    assert entry.name.startswith("VariationalAutoencoder-2d-")


def files_outside(root, folder):
    """Each path under ``root`` but outside ``folder``, with its bytes (a link: where it points): none may change."""
    return {path: os.readlink(path) if path.is_symlink() else path.read_bytes() if path.is_file() else "a folder"
            for path in root.rglob("*") if path != folder and folder not in path.parents}


@pytest.mark.parametrize("aimed_at", ["a file of yours", "a valid entry", "nothing"])
def test_a_link_at_an_entry_s_path_is_never_followed(tmp_path, data, aimed_at):
    """On a shared cache folder anyone may put a link at an entry's name: it is neither read nor written through; the
    new entry replaces the link itself."""
    folder = tmp_path / "cache"
    trained, first = run(data, folder)
    after_training = torch.rand(1000)
    (entry,) = folder.glob("*.pt")
    target = tmp_path / "yours.pt"
    if aimed_at != "nothing":
        target.write_bytes(b"your work" if aimed_at == "a file of yours" else entry.read_bytes())
    entry.unlink()
    entry.symlink_to(target)
    before, counter = files_outside(tmp_path, folder), CountingTrain()
    with pytest.warns(CacheWarning) as caught:
        model, history = run(data, folder, train=counter.train)
    says(caught, str(entry), "symbolic link", "not followed", "training again")
    assert counter.calls == 1 and not history.from_cache  # not even a valid entry is read through the link
    assert history.total == first.total and same_weights(model, trained)
    assert torch.equal(torch.rand(1000), after_training)
    assert files_outside(tmp_path, folder) == before and target.exists() == (aimed_at != "nothing")
    assert entry.is_file() and not entry.is_symlink() and run(data, folder)[1].from_cache


@pytest.mark.parametrize("name, dims", [("../../../evil", 2), ("TMP/evil", 2), ("Student", "2/../../../evil"),
                                        (".hidden", 2), ("..", 2)])
def test_a_class_named_with_a_path_keeps_its_entry_in_the_folder(tmp_path, data, name, dims):
    """A notebook may name a class (its __name__ and __qualname__), or set its latent_dims, with ../ or /."""
    folder = tmp_path / "a" / "b" / "cache"  # three ../ from there land in tmp_path, where the test looks
    student = type("Student", (VariationalAutoencoder,), {})
    student.__name__ = student.__qualname__ = name.replace("TMP", str(tmp_path))

    def model():
        built = fresh_model(student)
        built.latent_dims = dims
        return built

    assert not run(data, folder, model())[1].from_cache
    assert run(data, folder, model())[1].from_cache
    (entry,) = [path for path in tmp_path.rglob("*") if not path.is_dir()]  # the only file written anywhere
    assert entry.parent == folder and re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*-[0-9a-f]{24}\.pt", entry.name)


@pytest.mark.parametrize("fault", ["random state bytes flipped", "another seed's random state", "History edited",
                                   "History epoch removed", "no entry checksum (an older entry)"])
def test_an_edited_random_state_or_history_is_detected_and_trained_again(tmp_path, data, fault):
    """The entry's checksum covers all it holds, not only the weights: the same result as a clean run, the same
    random numbers after it, and a failed read changes nothing."""
    folder = tmp_path / "cache"
    trained, first = run(data, folder)
    after_training = torch.rand(1000)  # what the cells after real training draw
    (entry,) = folder.glob("*.pt")
    contents = torch.load(entry, weights_only=True)
    if fault == "random state bytes flipped":
        contents["rng"][0][1000:1008] ^= 0xFF
    if fault == "another seed's random state":
        contents["rng"][0] = torch.Generator().manual_seed(1).get_state()
    if fault == "History edited":
        contents["history"]["total"][-1] -= 10.0  # a better loss than training gave
    if fault == "History epoch removed":
        for name in ("recon", "kl", "total", "seconds"):
            contents["history"][name].pop()
    if fault == "no entry checksum (an older entry)":
        del contents["entry_checksum"]
    torch.save(contents, entry)  # the weights and their own checksum untouched
    before = files_outside(tmp_path, folder)
    reason = "older vae_lab" if "older" in fault else "damaged"
    model, rng = fresh_model(), torch.get_rng_state()
    weights = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    with pytest.warns(CacheWarning) as caught:
        assert cache.load_entry(entry, model, entry.stem.rsplit("-", 1)[1]) is None
    says(caught, str(entry), reason)
    assert torch.equal(torch.get_rng_state(), rng)
    assert all(torch.equal(tensor, weights[name]) for name, tensor in model.state_dict().items())
    counter = CountingTrain()
    with pytest.warns(CacheWarning) as caught:
        model, history = run(data, folder, train=counter.train)
    says(caught, str(entry), reason, "training again")
    assert counter.calls == 1 and not history.from_cache
    assert history.total == first.total and same_weights(model, trained)
    assert torch.equal(torch.rand(1000), after_training)
    assert files_outside(tmp_path, folder) == before and run(data, folder)[1].from_cache


def test_a_valid_entry_copied_over_another_training_s_is_trained_again(tmp_path, data):
    """The key is stored in the entry and checked: a file renamed or copied to another entry's name is not a hit."""
    run(data, tmp_path, epochs=1)
    (one_epoch,) = tmp_path.glob("*.pt")
    trained, first = run(data, tmp_path)
    (two_epochs,) = set(tmp_path.glob("*.pt")) - {one_epoch}
    two_epochs.write_bytes(one_epoch.read_bytes())
    with pytest.warns(CacheWarning) as caught:
        model, history = run(data, tmp_path)
    says(caught, str(two_epochs), "another training", "another key", "training again")
    assert len(history) == 2 and history.total == first.total and same_weights(model, trained)
