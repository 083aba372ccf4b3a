import pytest
import torch

from vae_lab.checks import check_kl, check_reparameterize, check_sse
from vae_lab.losses import kl_divergence, reparameterize, sse


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
