import base64
import os
import stat

import pytest
import torch
from conftest import says
from faults import python_with_full_disk

from vae_lab import encode
from vae_lab.beyond.variants import ConditionalVariationalAutoencoder, ConvolutionalVariationalAutoencoder
from vae_lab.course import checkpoints
from vae_lab.course.checkpoints import checksum, load_model, load_weights, save_model
from vae_lab.models import Autoencoder, VariationalAutoencoder

PNG = base64.b64decode(  # a 1x1 white PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC")


def hand_made(path, state_dict, **header):
    """A checkpoint written by hand, with a valid checksum: what a tampered or foreign file can look like."""
    torch.save({"state_dict": state_dict, "checksum": checksum(state_dict), **header}, path)
    return path


def test_round_trip(tmp_path, images):
    model = VariationalAutoencoder(3)
    path = save_model(model, tmp_path / "vae.pt")
    loaded = load_model(path)
    assert isinstance(loaded, VariationalAutoencoder) and loaded.latent_dims == 3
    torch.testing.assert_close(encode(loaded, images), encode(model, images))
    other = load_weights(VariationalAutoencoder(3), path)
    torch.testing.assert_close(encode(other, images), encode(model, images))


@pytest.mark.parametrize(
    "target, parts",
    [
        (VariationalAutoencoder(5), ["latent_dims=2", "latent_dims=5"]),  # what the file holds, what was given
        (Autoencoder(2), ["VariationalAutoencoder", "Autoencoder"]),
    ],
)
def test_loading_into_another_architecture_is_refused(vae, tmp_path, target, parts):
    path = save_model(vae, tmp_path / "vae.pt")
    before = [p.clone() for p in target.parameters()]
    with pytest.raises(ValueError) as error:
        load_weights(target, path)
    says(error, str(path), *parts, "load_model")  # or load the model the file holds
    assert all(torch.equal(a, b) for a, b in zip(before, target.parameters()))


def test_weights_that_do_not_fit_the_layers(tmp_path):
    path = tmp_path / "odd.pt"
    state = Autoencoder(2).state_dict()
    state["encoder.linear1.weight"] = torch.zeros(10, 10)
    hand_made(path, state, **{"class": "Autoencoder", "latent_dims": 2, "hidden": 512})
    with pytest.raises(ValueError) as error:
        load_weights(Autoencoder(2), path)
    says(error, str(path), "Autoencoder", "encoder.linear1.weight")


def test_a_class_that_does_not_match_its_weights_is_refused(tmp_path):
    path = hand_made(tmp_path / "lying.pt", Autoencoder(2).state_dict(),
                     **{"class": "VariationalAutoencoder", "latent_dims": 2, "hidden": 512})
    with pytest.raises(ValueError) as error:
        load_model(path)
    says(error, str(path), "VariationalAutoencoder", "encoder.linear3.weight")


@pytest.mark.parametrize("sizes, name", [({"latent_dims": 10**9}, "latent_dims"),
                                         ({"latent_dims": 2, "hidden": 10**9}, "hidden"),
                                         ({"latent_dims": -1}, "latent_dims")])
def test_absurd_sizes_are_refused_before_anything_is_built(tmp_path, sizes, name, monkeypatch):
    built = []
    monkeypatch.setattr(torch.nn.Linear, "reset_parameters", lambda self: built.append(self))
    path = hand_made(tmp_path / "huge.pt", {}, **{"class": "VariationalAutoencoder"}, **sizes)
    with pytest.raises(ValueError) as error:
        load_model(path)
    says(error, str(path), name, str(sizes[name]))
    assert built == []  # no layer was allocated


def test_zeroed_bytes_in_a_checkpoint_are_detected(tmp_path):
    path = save_model(VariationalAutoencoder(2), tmp_path / "vae.pt")
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError) as error:
        load_model(path)
    message = says(error, str(path), "nothing was loaded")
    assert "damaged" in message or "not a readable checkpoint" in message, message


def test_an_interrupted_save_keeps_the_old_checkpoint(vae, tmp_path, images, monkeypatch):
    old = vae
    path = save_model(old, tmp_path / "vae.pt")
    real_save = torch.save

    def killed_halfway(contents, file, *args, **kwargs):
        real_save(contents, file, *args, **kwargs)
        file.truncate(100)  # half a file written ...
        raise KeyboardInterrupt  # ... when the process is stopped

    monkeypatch.setattr(torch, "save", killed_halfway)
    with pytest.raises(KeyboardInterrupt):
        save_model(VariationalAutoencoder(2), path)
    monkeypatch.undo()
    torch.testing.assert_close(encode(load_model(path), images), encode(old, images))
    assert [f.name for f in tmp_path.iterdir()] == ["vae.pt"]  # no temporary file left behind


def test_non_finite_weights_are_never_saved(vae, tmp_path):
    with torch.no_grad():
        vae.decoder.linear2.bias[0] = float("nan")
    with pytest.raises(ValueError) as error:
        save_model(vae, tmp_path / "nan.pt")
    says(error, "NaN", "not saved", str(tmp_path / "nan.pt"), "lr")  # train again with a lower lr
    assert not (tmp_path / "nan.pt").exists()


def test_a_folder_is_not_a_checkpoint_path(tmp_path):
    with pytest.raises(ValueError) as error:
        save_model(Autoencoder(2), tmp_path)
    says(error, "path", str(tmp_path), "folder")
    with pytest.raises(TypeError) as error:
        save_model(Autoencoder(2).decoder, tmp_path / "d.pt")
    says(error, "save_model", "Decoder", "the model itself")


@pytest.mark.parametrize("content", [b"not a checkpoint", b""])
def test_unreadable_file(tmp_path, content):
    path = tmp_path / "broken.pt"
    path.write_bytes(content)
    with pytest.raises(ValueError) as error:
        load_model(path)
    says(error, str(path), "not a readable checkpoint", "vae_lab.save_model")


def test_foreign_file_and_missing_file(tmp_path):
    torch.save({"weights": 1}, tmp_path / "other.pt")
    assert checkpoints.MODEL_CLASSES  # the classes load_model rebuilds
    with pytest.raises(ValueError) as error:
        load_model(tmp_path / "other.pt")
    says(error, str(tmp_path / "other.pt"), "not a vae_lab checkpoint", "vae_lab.save_model")
    with pytest.raises(FileNotFoundError) as error:
        load_model(tmp_path / "missing.pt")
    says(error, str(tmp_path / "missing.pt"), "no checkpoint")
    with pytest.raises(FileNotFoundError) as error:
        save_model(Autoencoder(2), tmp_path / "no" / "such" / "folder.pt")
    says(error, "path", str(tmp_path / "no" / "such"), "does not exist")


def test_the_hidden_width_is_saved_and_checked(tmp_path, images):
    model = VariationalAutoencoder(20, hidden=400)
    path = save_model(model, tmp_path / "examples.pt")
    loaded = load_model(path)
    assert loaded.hidden == 400 and loaded.latent_dims == 20
    torch.testing.assert_close(encode(loaded, images), encode(model, images))
    with pytest.raises(ValueError) as error:
        load_weights(VariationalAutoencoder(20), path)
    says(error, str(path), "hidden=400", "hidden=512", "load_model")


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


def test_a_read_only_checkpoint_is_never_replaced(vae, tmp_path, images):
    old = vae
    path = save_model(old, tmp_path / "vae.pt")
    path.chmod(0o444)  # root ignores this when writing; save_model must not
    with pytest.raises(PermissionError) as error:
        save_model(VariationalAutoencoder(2), path)
    says(error, str(path), "read-only", "chmod u+w")
    torch.testing.assert_close(encode(load_model(path), images), encode(old, images))


def test_a_link_is_saved_through_and_a_new_checkpoint_is_readable_by_others(tmp_path, images):
    target = save_model(Autoencoder(2), tmp_path / "real.pt")
    link = tmp_path / "link.pt"
    link.symlink_to(target.name)
    new = Autoencoder(2)
    save_model(new, link)
    assert link.is_symlink()
    torch.testing.assert_close(encode(load_model(target), images), encode(new, images))
    old_umask = os.umask(0o022)
    try:
        assert stat.S_IMODE(save_model(new, tmp_path / "shared.pt").stat().st_mode) == 0o644  # not 0600
    finally:
        os.umask(old_umask)


def test_a_full_disk_keeps_the_old_checkpoint_and_names_it(tmp_path, images):
    old = VariationalAutoencoder(2)
    path = save_model(old, tmp_path / "vae.pt")
    code = ("from vae_lab import VariationalAutoencoder\nfrom vae_lab.course.checkpoints import save_model\n"
            f"save_model(VariationalAutoencoder(2, hidden=1024), {str(path)!r})")
    result = python_with_full_disk(code, path.stat().st_size, cwd=os.getcwd())
    assert result.returncode == 1
    assert f"OSError: [Errno 27] File too large: '{path}'" in result.stderr
    torch.testing.assert_close(encode(load_model(path), images), encode(old, images))
    assert [f.name for f in tmp_path.iterdir()] == ["vae.pt"]


@pytest.mark.parametrize("name", [["VariationalAutoencoder"], None, 3])
def test_a_class_name_that_is_not_a_string_is_refused(tmp_path, name):
    path = hand_made(tmp_path / "odd.pt", Autoencoder(2).state_dict(), **{"class": name, "latent_dims": 2})
    with pytest.raises(ValueError) as error:
        load_model(path)
    says(error, str(path), repr(name), "load_model", "'Autoencoder'", "'VariationalAutoencoder'")


def test_a_picture_is_refused_in_our_words_without_pytorch_s_advice(tmp_path):
    path = tmp_path / "digit.png"
    path.write_bytes(PNG)
    with pytest.raises(ValueError) as raised:
        load_model(path)
    message = says(raised, str(path), "not a readable checkpoint", "vae_lab.save_model")
    assert "weights_only" not in message and "file an issue" not in message
