import pytest
import torch

from vae_lab.checkpoints import load_model, load_weights, save_model
from vae_lab.models import (
    Autoencoder,
    ConditionalVariationalAutoencoder,
    ConvolutionalVariationalAutoencoder,
    VariationalAutoencoder,
)


def test_round_trip(tmp_path, images):
    model = VariationalAutoencoder(3)
    path = save_model(model, tmp_path / "vae.pt")
    loaded = load_model(path)
    assert isinstance(loaded, VariationalAutoencoder) and loaded.latent_dims == 3
    torch.testing.assert_close(loaded.encode(images), model.encode(images))
    other = load_weights(VariationalAutoencoder(3), path)
    torch.testing.assert_close(other.encode(images), model.encode(images))


@pytest.mark.parametrize(
    "target, message",
    [
        (VariationalAutoencoder(5), r"VariationalAutoencoder with latent_dims=2.*latent_dims=5"),
        (Autoencoder(2), r"holds a VariationalAutoencoder.*given is a Autoencoder"),
    ],
)
def test_loading_into_another_architecture_is_refused(tmp_path, target, message):
    path = save_model(VariationalAutoencoder(2), tmp_path / "vae.pt")
    before = [p.clone() for p in target.parameters()]
    with pytest.raises(ValueError, match=message):
        load_weights(target, path)
    assert all(torch.equal(a, b) for a, b in zip(before, target.parameters()))


def test_weights_that_do_not_fit_the_layers(tmp_path):
    path = tmp_path / "odd.pt"
    state = Autoencoder(2).state_dict()
    state["encoder.linear1.weight"] = torch.zeros(10, 10)
    torch.save({"class": "Autoencoder", "latent_dims": 2, "state_dict": state}, path)
    with pytest.raises(ValueError, match="do not fit"):
        load_weights(Autoencoder(2), path)


@pytest.mark.parametrize("content", [b"not a checkpoint", b""])
def test_unreadable_file(tmp_path, content):
    path = tmp_path / "broken.pt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_model(path)


def test_foreign_file_and_missing_file(tmp_path):
    torch.save({"weights": 1}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not a vae_lab checkpoint"):
        load_model(tmp_path / "other.pt")
    with pytest.raises(FileNotFoundError, match="No checkpoint"):
        load_model(tmp_path / "missing.pt")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_model(Autoencoder(2), tmp_path / "no" / "such" / "folder.pt")


def test_the_hidden_width_is_saved_and_checked(tmp_path, images):
    model = VariationalAutoencoder(20, hidden=400)
    path = save_model(model, tmp_path / "examples.pt")
    loaded = load_model(path)
    assert loaded.hidden == 400 and loaded.latent_dims == 20
    torch.testing.assert_close(loaded.encode(images), model.encode(images))
    with pytest.raises(ValueError, match=r"hidden=400, but the model given .* hidden=512"):
        load_weights(VariationalAutoencoder(20), path)


@pytest.mark.parametrize(
    "model, y",
    [
        (ConditionalVariationalAutoencoder(3, hidden=32, classes=4), torch.arange(16) % 4),
        (ConvolutionalVariationalAutoencoder(3, hidden=32), None),
    ],
)
def test_round_trip_of_the_variations(tmp_path, images, model, y):
    loaded = load_model(save_model(model, tmp_path / "model.pt"))
    assert type(loaded) is type(model) and loaded.hidden == 32
    assert getattr(loaded, "classes", None) == getattr(model, "classes", None)
    given = () if y is None else (y,)
    torch.testing.assert_close(loaded.encode(images, *given), model.encode(images, *given))
