"""vae_lab.beyond.collapse: effective β, the β-VAE, FreeBits, KLWarmup, and which latent dimensions are active."""

from functools import partial

import numpy as np
import pytest
import torch
from conftest import says
from synthetic import blobs
from torch.distributions import Normal
from torch.distributions import kl_divergence as torch_kl

from vae_lab.beyond import collapse
from vae_lab.beyond.collapse import FreeBits, KLWarmup, active_units, effective_beta, kl_per_dimension
from vae_lab.beyond.variants import (
    ConditionalVariationalAutoencoder,
    ConvolutionalVariationalAutoencoder,
    conditional_loss,
)
from vae_lab.models import Autoencoder, VariationalAutoencoder
from vae_lab.training import evaluate, set_seed, train, vae_loss

# effective_beta against the reductions written out with torch's own reducers: a loss reduced another way must
# have the gradient of the lecture's sum-reduced loss with beta = effective_beta, up to one positive factor.
REDUCED = {  # how people write each reduction, with torch's reducers (not vae_lab's formula)
    ("sum", "sum"): lambda sq, kl: sq.sum() + kl.sum(),
    ("per image", "per image"): lambda sq, kl: sq.sum(dim=1).mean() + kl.sum(dim=1).mean(),
    ("mean", "per image"): lambda sq, kl: sq.mean() + kl.sum(dim=1).mean(),  # F.mse_loss's default + KL per image
    ("mean", "mean"): lambda sq, kl: sq.mean() + kl.mean(),
    ("mean", "sum"): lambda sq, kl: sq.mean() + kl.sum(),
    ("sum", "per image"): lambda sq, kl: sq.sum() + kl.sum(dim=1).mean(),
    ("per image", "mean"): lambda sq, kl: sq.sum(dim=1).mean() + kl.mean(),
}


@pytest.mark.parametrize("reductions", sorted(REDUCED))
@pytest.mark.parametrize("batch, dims", [(16, 2), (5, 10)])
def test_effective_beta_gives_the_gradient_of_the_reduced_loss(reductions, batch, dims):
    generator = torch.Generator().manual_seed(batch * dims)
    x = torch.rand(batch, 784, generator=generator, dtype=torch.float64)
    x_hat = torch.rand(batch, 784, generator=generator, dtype=torch.float64, requires_grad=True)
    mu = torch.randn(batch, dims, generator=generator, dtype=torch.float64, requires_grad=True)
    log_sigma = torch.randn(batch, dims, generator=generator, dtype=torch.float64, requires_grad=True)
    kl = torch_kl(Normal(mu, log_sigma.exp()), Normal(0.0, 1.0))  # (batch, dims)
    reduced = REDUCED[reductions]((x_hat - x) ** 2, kl)
    beta = effective_beta(*reductions, batch_size=batch, latent_dims=dims)
    lecture = ((x_hat - x) ** 2).sum() + beta * kl.sum()
    grads_reduced = torch.cat([g.flatten() for g in torch.autograd.grad(reduced, (x_hat, mu, log_sigma),
                                                                        retain_graph=True)])
    grads_lecture = torch.cat([g.flatten() for g in torch.autograd.grad(lecture, (x_hat, mu, log_sigma))])
    factor = grads_lecture.norm() / grads_reduced.norm()
    torch.testing.assert_close(grads_reduced * factor, grads_lecture)
    torch.testing.assert_close(reduced * factor, lecture)  # the losses too: one is the other times a constant


def test_effective_beta_of_the_common_choices():
    assert effective_beta("sum", "sum", batch_size=128, latent_dims=20) == 1  # the lecture, pytorch/examples
    assert effective_beta("mean", "per image", batch_size=128, latent_dims=20) == 784  # F.mse_loss + KL per image
    assert effective_beta("mean", "mean", batch_size=128, latent_dims=20) == pytest.approx(784 / 20)
    assert effective_beta("mean", "sum", batch_size=128, latent_dims=20) == 784 * 128
    assert effective_beta("sum", "sum", batch_size=128, latent_dims=20, beta=4) == 4


@pytest.mark.parametrize("kwargs, error, parts", [  # the argument, the value given, what it must be
    ({"reconstruction": "avg"}, ValueError, ["reconstruction", "'avg'", "'per image'"]),
    ({"kl": "Sum"}, ValueError, ["kl", "'Sum'", "'per image'"]),
    ({"batch_size": 0}, ValueError, ["batch_size", "0", ">= 1"]),
    ({"latent_dims": 2.0}, TypeError, ["latent_dims", "2.0", "float"]),
    ({"beta": -1}, ValueError, ["beta", "-1.0", ">= 0"]),
])
def test_effective_beta_names_a_bad_argument(kwargs, error, parts):
    arguments = {"reconstruction": "sum", "kl": "sum", "batch_size": 8, "latent_dims": 2, **kwargs}
    with pytest.raises(error) as raised:
        effective_beta(**arguments)
    says(raised, *parts)


@pytest.mark.parametrize("beta", [0.0, 4.0])
def test_beta_weighs_the_kl_term(vae, beta):
    model = vae
    loss = partial(vae_loss, beta=beta)
    history = train(model, blobs(128), epochs=2, batch_size=64, progress=False, loss=loss)
    for recon, kl, total in zip(history.recon, history.kl, history.total):
        assert total == pytest.approx(recon + beta * kl)
    result = evaluate(model, blobs(64, seed=1), loss=loss)
    assert result["total"] == pytest.approx(result["recon"] + beta * result["kl"])


def test_a_larger_beta_pulls_the_codes_towards_the_prior():
    def kl_after(beta):
        set_seed(0)
        model = VariationalAutoencoder(2)
        train(model, blobs(), epochs=4, batch_size=64, lr=3e-3, progress=False, loss=partial(vae_loss, beta=beta))
        return evaluate(model, blobs())["kl"]

    assert kl_after(8.0) < kl_after(1.0)


def weight_of_kl(terms) -> float:
    """The weight a loss put on the KL term: (total - recon) / kl, for a VAE whose KL is not 0."""
    total, recon, kl = (t.item() for t in terms)
    assert kl > 1
    return (total - recon) / kl


def test_kl_warmup_weighs_the_kl_term_by_training_step(images):
    """KLWarmup(4, beta=2): training steps 1, 2, 3, 4, 5 weigh the KL 2/4, 4/4, 6/4, 8/4, 8/4; evaluation beta."""
    torch.manual_seed(0)
    model, warmup = VariationalAutoencoder(2, hidden=16).train(), KLWarmup(4, beta=2.0)
    with torch.no_grad():
        model.encoder.linear3.bias.fill_(1.0)  # sigma ~ e: a KL far from 0, so that the weight reads clearly
    weights = [weight_of_kl(warmup(model, images)) for _ in range(5)]
    assert weights == pytest.approx([0.5, 1.0, 1.5, 2.0, 2.0], rel=1e-4)
    model.eval()
    assert weight_of_kl(warmup(model, images)) == pytest.approx(2.0, rel=1e-4) and warmup.step == 5  # eval: no step
    model.train()
    torch.manual_seed(3)
    total, recon, kl = warmup(model, images)
    torch.manual_seed(3)
    assert torch.equal(total, vae_loss(model, images, beta=2.0)[0])  # after the warm-up: the β-VAE's loss


def test_kl_warmup_counts_the_steps_of_train():
    """512 images in batches of 128: 4 steps an epoch; a warm-up of 4 steps, then beta."""
    seen = []
    warmup = KLWarmup(4, beta=2.0)

    def spy(model, x, y):
        terms = warmup(model, x, y)
        seen.append(weight_of_kl(terms))
        return terms

    set_seed(0)
    train(VariationalAutoencoder(2, hidden=16), blobs(512), epochs=2, batch_size=128, loss=spy, progress=False)
    assert seen == pytest.approx([0.5, 1.0, 1.5, 2.0, 2.0, 2.0, 2.0, 2.0], rel=1e-4) and warmup.step == 8


@pytest.mark.parametrize("cls", [VariationalAutoencoder, ConvolutionalVariationalAutoencoder])
def test_free_bits_count_each_dimension_as_at_least_lambda(images, cls):
    """The reference: KL per dimension from torch.distributions, batch-averaged, clamped below at lambda."""
    set_seed(0)
    model = cls(4)
    with torch.no_grad():
        model.encoder.linear3.bias.copy_(torch.tensor([0.0, -1.0, 0.5, -2.0]))  # dimensions with KLs on both sides
    torch.manual_seed(1)
    total, recon, kl = FreeBits(0.5, beta=3.0)(model, images)
    per_dimension = torch_kl(Normal(model.encoder.mu, model.encoder.sigma), Normal(0.0, 1.0)).mean(dim=0)  # (4,)
    assert (per_dimension < 0.5).any() and (per_dimension > 0.5).any()
    by_hand = [max(d, 0.5) for d in per_dimension.tolist()]  # each dimension's KL, or lambda where it is below
    torch.testing.assert_close(total, recon + 3.0 * len(images) * torch.tensor(by_hand).sum())
    torch.testing.assert_close(kl, per_dimension.sum() * len(images))  # the KL reported is the true one
    torch.manual_seed(1)
    assert torch.equal(vae_loss(model, images)[1], recon)  # same noise, same reconstruction


def test_free_bits_of_zero_are_the_lectures_loss(images):
    model = VariationalAutoencoder(3, hidden=16)
    torch.manual_seed(0)
    expected = vae_loss(model, images, beta=2.0)
    torch.manual_seed(0)
    for got, want in zip(FreeBits(0.0, beta=2.0)(model, images), expected):
        torch.testing.assert_close(got, want)


def test_free_bits_keep_a_heavily_weighted_kl_from_collapsing():
    def kl_after(loss):
        set_seed(0)
        model = VariationalAutoencoder(2)
        train(model, blobs(), epochs=4, batch_size=64, lr=3e-3, progress=False, loss=loss)
        return evaluate(model, blobs())["kl"], active_units(model, blobs())

    kl, active = kl_after(partial(vae_loss, beta=200.0))
    assert kl < 0.01 and active == 0  # collapsed: no KL, no active unit
    kl, active = kl_after(FreeBits(1.0, beta=200.0))
    assert kl > 1.0 and active == 2


@pytest.mark.parametrize("kwargs, error, parts", [
    ({"free_bits": -1}, ValueError, ["free_bits", "-1.0", ">= 0"]),
    ({"free_bits": 1e38}, ValueError, ["free_bits", "1e+38", "at most 1000"]),
    ({"free_bits": "1"}, TypeError, ["free_bits", "'1'", "str"]),
    ({"free_bits": 1.0, "beta": -1}, ValueError, ["beta", "-1.0", ">= 0"]),
])
def test_bad_free_bits_are_named(kwargs, error, parts):
    with pytest.raises(error) as raised:
        FreeBits(**kwargs)
    says(raised, *parts)


@pytest.mark.parametrize("cls, loss", [(VariationalAutoencoder, vae_loss),
                                       (ConditionalVariationalAutoencoder, conditional_loss)])
def test_kl_per_dimension_adds_up_to_the_kl_term(cls, loss):
    set_seed(0)
    model, data = cls(3), blobs(100)
    per_dimension = kl_per_dimension(model, data, batch_size=32)
    assert per_dimension.shape == (3,) and (per_dimension >= 0).all()
    assert per_dimension.sum().item() == pytest.approx(evaluate(model, data, loss=loss)["kl"], rel=1e-5)


def test_kl_per_dimension_needs_a_variational_model():
    with pytest.raises(TypeError) as error:
        kl_per_dimension(Autoencoder(2), blobs(8))
    says(error, "kl_per_dimension", "Autoencoder", "VariationalAutoencoder(2)")


def test_latent_activity_is_the_variance_of_mu_over_the_data():
    set_seed(0)
    model, data = VariationalAutoencoder(3), blobs(100)
    with torch.no_grad():
        model.encoder.linear2.weight[2] = 0  # the third dimension gives every image the same mu
    activity = collapse.latent_activity(model, data, batch_size=7)
    mu = model.encoder.linear2(torch.relu(model.encoder.linear1(data.images.flatten(1)))).detach().numpy()
    np_reference = mu.astype("float64").var(axis=0)  # numpy's population variance
    torch.testing.assert_close(activity, torch.from_numpy(np_reference).float(), rtol=1e-4, atol=1e-7)
    assert activity[2] < 1e-10
    assert active_units(model, data) == int((np_reference > collapse.ACTIVE).sum())
    assert active_units(model, data, threshold=0) == 2
    assert np.isfinite(activity.numpy()).all()


def test_latent_activity_needs_a_variational_model(vae):
    with pytest.raises(TypeError) as error:
        collapse.latent_activity(Autoencoder(2), blobs(8))
    says(error, "latent_activity", "Autoencoder", "VariationalAutoencoder(2)")
    with pytest.raises(ValueError) as error:
        active_units(vae, blobs(8), threshold=-1)
    says(error, "threshold", "-1.0", ">= 0")
