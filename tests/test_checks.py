import pytest
import torch

from vae_lab.checks import check_interpolate, check_kl, check_reparameterize, check_sse, check_variational_encoder
from vae_lab.losses import kl_divergence, reparameterize, sse
from vae_lab.models import Decoder, VariationalEncoder

DECODER = Decoder(2)


def not_written(*args):
    raise NotImplementedError


@pytest.mark.parametrize(
    "check, answer, expected, printed",
    [
        (check_kl, kl_divergence, True, "✓ KL matches"),
        (check_kl, lambda mu, ls: (torch.exp(ls) ** 2 + mu**2 - ls - 0.5).sum(1), False, "blog's formula"),
        (check_kl, lambda mu, ls: ((torch.exp(2 * ls) + mu**2 - 1) / 2 - ls).sum(), False, "one KL per row"),
        (check_kl, lambda mu, ls: ((torch.exp(ls) + mu**2 - 1) / 2 - ls).sum(1), False, "values differ"),
        (check_kl, not_written, False, "Not written yet"),
        (check_kl, lambda mu, ls: mu.undefined, False, "raised AttributeError"),
        (check_reparameterize, reparameterize, True, "✓ z has mean mu"),
        (check_reparameterize, lambda mu, s: torch.normal(mu.detach(), s.detach()), False, "No gradient"),
        (check_reparameterize, lambda mu, s: mu + s * torch.rand_like(mu), False, "spread"),
        (check_reparameterize, not_written, False, "Not written yet"),
        (check_sse, sse, True, "✓ Sum of squared errors"),
        (check_sse, lambda a, b: ((a - b) ** 2).mean(), False, "mean squared error"),
        (check_sse, lambda a, b: ((a - b) ** 2).sum(dim=(1, 2, 3)), False, "one number"),
        (check_sse, lambda a, b: (a - b).abs().sum(), False, "Expected"),
    ],
)
def test_checks_pass_right_answers_and_hint_at_wrong_ones(capsys, check, answer, expected, printed):
    assert check(answer) is expected
    out = capsys.readouterr().out
    assert printed in out and out.startswith("✓" if expected else "✗")



def drawing(answer):
    """``answer`` that also draws random numbers, as a student's function may."""
    return lambda *args: answer(*args) + 0 * torch.rand(())


@pytest.mark.parametrize("check, answer", [(check_kl, kl_divergence), (check_reparameterize, reparameterize),
                                           (check_sse, sse)])
def test_a_check_leaves_the_notebook_s_random_numbers_as_they_were(capsys, check, answer):
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    assert check(drawing(answer)) is True
    torch.testing.assert_close(torch.rand(3), expected)


def encoder_class(forward):
    """A VariationalEncoder whose forward is ``forward(self, x)``, as a student writes it."""
    return type("StudentEncoder", (VariationalEncoder,), {"forward": forward})


def lecture_forward(self, x, kl="true", mu_activation=lambda t: t):
    x = torch.relu(self.linear1(torch.flatten(x, start_dim=1)))
    mu, sigma = mu_activation(self.linear2(x)), torch.exp(self.linear3(x))
    z = mu + sigma * torch.randn_like(mu)
    true = ((sigma**2 + mu**2 - 1) / 2 - torch.log(sigma)).sum()
    self.kl = true if kl == "true" else (sigma**2 + mu**2 - torch.log(sigma) - 0.5).sum()
    return z


@pytest.mark.parametrize("forward, expected, printed", [
    (lecture_forward, True, "✓ forward computes z"),
    (lambda self, x: lecture_forward(self, x, kl="blog"), False, "self.kl should be the summed KL"),
    (lambda self, x: lecture_forward(self, x, mu_activation=torch.relu), False, "no ReLU on mu"),
    (lambda self, x: lecture_forward(self, x)[:2], False, "one code per image"),
    (not_written, False, "Not written yet"),
])
def test_check_variational_encoder(capsys, forward, expected, printed):
    assert check_variational_encoder(encoder_class(forward)) is expected
    assert printed in capsys.readouterr().out


@pytest.mark.parametrize("answer, expected, printed", [
    (lambda z_1, z_2, n: torch.cat([DECODER(z_1 + (z_2 - z_1) * t) for t in torch.linspace(0, 1, n)]), True, "✓ 5"),
    (lambda z_1, z_2, n: torch.cat([DECODER(z_1 + (z_2 - z_1) * t) for t in torch.arange(n) / n]), False, "differ"),
    (lambda z_1, z_2, n: DECODER(z_1), False, "Expected 5 images"),
    (not_written, False, "Not written yet"),
])
def test_check_interpolate(capsys, answer, expected, printed):
    assert check_interpolate(answer, DECODER, torch.zeros(1, 2), torch.ones(1, 2)) is expected
    assert printed in capsys.readouterr().out


def test_the_encoder_check_leaves_the_random_numbers_as_they_were(capsys):
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    assert check_variational_encoder(encoder_class(lecture_forward)) is True
    torch.testing.assert_close(torch.rand(3), expected)
