import pytest
import torch

from vae_lab.course.checks import check_interpolate, check_kl, check_reparameterize, check_sse, check_variational_encoder
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


def zeroing_inputs(mu, log_sigma):
    """A wrong answer that zeroes its inputs in place: it returns the KL of N(0, 1), 0, whatever it is given."""
    mu.zero_()
    log_sigma.zero_()
    return kl_divergence(mu, log_sigma)


def subtracting_in_place(z_1, z_2, n):
    """A right answer that reuses z_2 for the difference."""
    z_2 -= z_1
    return torch.cat([DECODER(z_1 + z_2 * t) for t in torch.linspace(0, 1, n)])


def test_a_kl_that_zeroes_its_inputs_is_judged_on_the_originals(capsys):
    assert check_kl(zeroing_inputs) is False
    assert "values differ" in capsys.readouterr().out


def test_an_interpolation_that_changes_z_2_in_place_is_right(capsys):
    z_1, z_2 = torch.full((1, 2), -0.5), torch.ones(1, 2)
    assert check_interpolate(subtracting_in_place, DECODER, z_1, z_2) is True
    assert capsys.readouterr().out.startswith("✓") and torch.equal(z_2, torch.ones(1, 2))  # the caller's z_2 too


@pytest.mark.parametrize("answer, printed", [
    (lambda mu, sigma: mu + torch.randn_like(mu), "No gradient reaches sigma"),
    (lambda mu, sigma: sigma * torch.randn_like(mu), "No gradient reaches mu"),
    (lambda mu, sigma: mu.detach() + sigma * torch.randn_like(mu), "No gradient reaches mu"),
    (lambda mu, sigma: mu + sigma.detach() * torch.randn_like(mu), "No gradient reaches sigma"),
    (lambda mu, sigma: torch.randn(mu.shape) * 2, "No gradient reaches mu and sigma"),
    (lambda mu, sigma: torch.randn(mu.shape, requires_grad=True), "No gradient reaches mu"),
    (lambda mu, sigma: (mu + sigma * torch.randn_like(mu)).long(), "dtype torch.int64"),
    (lambda mu, sigma: [1.0, 2.0], "Expected z of mu's shape"),
])
def test_the_commonest_wrong_reparameterizations_get_a_hint(capsys, answer, printed):
    assert check_reparameterize(answer) is False
    out = capsys.readouterr().out
    assert out.startswith("✗") and printed in out


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("check, answer", [(check_kl, kl_divergence), (check_sse, sse),
                                           (check_reparameterize, reparameterize)])
def test_a_right_answer_in_another_float_dtype_passes(capsys, check, answer, dtype):
    assert check(lambda *args: answer(*args).to(dtype)) is True
    assert capsys.readouterr().out.startswith("✓")


def test_a_right_interpolation_in_float64_passes(capsys):
    def in_float64(z_1, z_2, n):
        return torch.cat([DECODER(z_1 + (z_2 - z_1) * t) for t in torch.linspace(0, 1, n)]).double()

    assert check_interpolate(in_float64, DECODER, torch.zeros(1, 2), torch.ones(1, 2)) is True


@pytest.mark.parametrize("check, answer", [
    (check_kl, lambda mu, ls: kl_divergence(mu, ls).long()),
    (check_sse, lambda a, b: sse(a, b).long()),
    (check_interpolate, lambda z_1, z_2, n: torch.zeros(n, 1, 28, 28, dtype=torch.int64)),
])
def test_a_result_of_whole_numbers_is_told_its_dtype(capsys, check, answer):
    arguments = (DECODER, torch.zeros(1, 2), torch.ones(1, 2)) if check is check_interpolate else ()
    assert check(answer, *arguments) is False
    assert "has dtype torch.int64" in capsys.readouterr().out


def test_an_encoder_that_never_sets_kl_is_told_so(capsys):
    class NoKL(torch.nn.Module):
        def __init__(self, latent_dims):
            super().__init__()
            self.linear1, self.linear2, self.linear3 = (torch.nn.Linear(784, 512), torch.nn.Linear(512, latent_dims),
                                                        torch.nn.Linear(512, latent_dims))

        def forward(self, x):
            x = torch.relu(self.linear1(torch.flatten(x, start_dim=1)))
            mu, sigma = self.linear2(x), torch.exp(self.linear3(x))
            return mu + sigma * torch.randn_like(mu)

    assert check_variational_encoder(NoKL) is False
    assert "forward never set self.kl" in capsys.readouterr().out


@pytest.mark.parametrize("kl, printed", [("per row", "got shape (4,)"), ("float64", "✓"), ("int", "got 0")])
def test_the_encoder_s_kl_of_another_shape_or_dtype(capsys, kl, printed):
    def forward(self, x):
        z = lecture_forward(self, x)
        self.kl = {"per row": self.kl.expand(4), "float64": self.kl.double(), "int": 0}[kl]
        return z

    assert check_variational_encoder(encoder_class(forward)) is (kl == "float64")
    assert printed in capsys.readouterr().out


def test_a_check_that_stumbles_prints_a_hint_instead_of_raising(capsys):
    class Shapeless(torch.Tensor):  # a result that breaks the check itself
        @property
        def shape(self):
            raise RuntimeError("no shape")

    assert check_kl(lambda mu, log_sigma: kl_divergence(mu, log_sigma).as_subclass(Shapeless)) is False
    out = capsys.readouterr().out
    assert out.startswith("✗ The check could not judge your answer (RuntimeError: no shape)")


@pytest.mark.parametrize("answer, printed", [
    (lambda mu, sigma: None, "returned None"),
    (lambda mu, sigma: (mu + sigma * torch.randn_like(mu)).detach().numpy(), "NumPy array"),
    (lambda mu, sigma: (mu + sigma * torch.randn_like(mu))[:10], "got a tensor of shape (10, 2)"),
    (lambda mu, sigma: mu + sigma * torch.randn_like(mu) * float("nan"), "NaN"),
    (lambda mu, sigma: mu.add_(sigma * torch.randn_like(mu)), "in place"),
])
def test_more_wrong_reparameterizations_get_a_hint_of_their_own(capsys, answer, printed):
    assert check_reparameterize(answer) is False
    out = capsys.readouterr().out
    assert out.startswith("✗") and printed in out and "could not judge" not in out


def test_an_interpolation_stacked_instead_of_joined_is_told_so(capsys):
    decoder = Decoder(2)
    z_1, z_2 = torch.zeros(1, 2), torch.ones(1, 2)
    stacked = lambda a, b, n: torch.stack([decoder(a + (b - a) * t) for t in torch.linspace(0, 1, n).tolist()])  # noqa: E731
    assert check_interpolate(stacked, decoder, z_1, z_2) is False
    assert "torch.cat, not torch.stack" in capsys.readouterr().out


def test_an_encoder_given_as_an_object_or_with_wrong_layers_gets_a_hint(capsys):
    class Small(VariationalEncoder):
        def __init__(self, latent_dims):
            super().__init__(latent_dims)
            self.linear1 = torch.nn.Linear(3, 3)

    for given, printed in ((VariationalEncoder(2), "Give the class itself"), (Small, "The layers should be")):
        assert check_variational_encoder(given) is False
        out = capsys.readouterr().out
        assert printed in out and "could not judge" not in out
