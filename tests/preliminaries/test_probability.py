"""lessons_src/preliminaries/probability.py 的测试；页面见 docs/preliminaries/probability.md。"""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons_src.preliminaries.probability import (
    bayes_posterior,
    bivariate_normal_pdf,
    expectation,
    plot_running_frequencies,
    roll_die,
    running_frequencies,
    variance,
)

F64 = torch.float64
seeds = st.integers(min_value=0, max_value=2**31 - 1)


def test_medical_test_example():
    prior = torch.tensor([0.9985, 0.0015], dtype=F64)
    likelihood_1 = torch.tensor([0.01, 1.0], dtype=F64)
    likelihood_2 = torch.tensor([0.03, 0.98], dtype=F64)
    posterior_1 = bayes_posterior(prior, likelihood_1)
    expected = 0.0015 / (0.01 * 0.9985 + 0.0015)
    assert posterior_1[1].item() == pytest.approx(expected)
    assert posterior_1[1].item() == pytest.approx(0.1306, abs=1e-4)
    both = bayes_posterior(prior, likelihood_1 * likelihood_2)
    assert both[1].item() == pytest.approx(0.8307, abs=1e-4)
    assert torch.allclose(bayes_posterior(posterior_1, likelihood_2), both)


@settings(deadline=None)
@given(seeds, st.integers(min_value=1, max_value=6))
def test_posterior_matches_bayes_formula(seed, k):
    generator = torch.Generator().manual_seed(seed)
    prior = torch.rand(k, generator=generator, dtype=F64) + 0.01
    prior = prior / prior.sum()
    likelihood = torch.rand(k, generator=generator, dtype=F64) * 0.99 + 0.01
    posterior = bayes_posterior(prior, likelihood)
    evidence = sum(likelihood[h] * prior[h] for h in range(k))
    for h in range(k):
        assert posterior[h].item() == pytest.approx((likelihood[h] * prior[h] / evidence).item())
    assert posterior.sum().item() == pytest.approx(1.0)


def test_uninformative_evidence_keeps_the_prior():
    prior = torch.tensor([0.2, 0.3, 0.5], dtype=F64)
    assert torch.allclose(bayes_posterior(prior, torch.full((3,), 0.4, dtype=F64)), prior)


def test_die_moments():
    faces = torch.arange(1.0, 7.0, dtype=F64)
    fair = torch.full((6,), 1 / 6, dtype=F64)
    assert expectation(faces, fair).item() == pytest.approx(3.5)
    assert variance(faces, fair).item() == pytest.approx(35 / 12)


@settings(deadline=None)
@given(seeds, st.integers(min_value=1, max_value=8))
def test_variance_equals_second_moment_minus_squared_mean(seed, k):
    generator = torch.Generator().manual_seed(seed)
    values = torch.randn(k, generator=generator, dtype=F64) * 10
    probs = torch.rand(k, generator=generator, dtype=F64) + 0.01
    probs = probs / probs.sum()
    mean = expectation(values, probs)
    assert torch.isclose(variance(values, probs), (values**2 * probs).sum() - mean**2, atol=1e-9)
    assert variance(values, probs) >= 0
    # 常数的方差为 0，平移不改变方差
    assert torch.isclose(variance(values + 5, probs), variance(values, probs), atol=1e-9)
    assert torch.isclose(expectation(values + 5, probs), mean + 5)


def test_roll_die_is_reproducible_and_leaves_global_state_alone():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    first = roll_die(500, seed=7)
    assert torch.equal(torch.get_rng_state(), before)
    assert torch.equal(first, roll_die(500, seed=7))
    assert not torch.equal(first, roll_die(500, seed=8))
    assert first.dtype == torch.int64
    assert set(first.tolist()) == {1, 2, 3, 4, 5, 6}


def test_roll_die_is_fair():
    rolls = roll_die(60000, seed=0)
    frequencies = torch.bincount(rolls, minlength=7)[1:] / len(rolls)
    assert torch.allclose(frequencies, torch.full((6,), 1 / 6), atol=0.01)
    assert rolls.double().mean().item() == pytest.approx(3.5, abs=0.03)


@settings(deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=4), min_size=1, max_size=40))
def test_running_frequencies_match_a_direct_count(values):
    rolls = torch.tensor(values)
    frequencies = running_frequencies(rolls, num_faces=4)
    assert frequencies.shape == (len(values), 4)
    for n in range(1, len(values) + 1):
        for face in range(1, 5):
            expected = values[:n].count(face) / n
            assert frequencies[n - 1, face - 1].item() == pytest.approx(expected, abs=1e-6)
    assert torch.allclose(frequencies.sum(dim=1), torch.ones(len(values)))


def test_plot_running_frequencies():
    figure = plot_running_frequencies(running_frequencies(roll_die(200, seed=1)))
    axes = figure.axes[0]
    assert len(axes.lines) == 7
    assert "1/6" in figure.get_label() and "骰子" in figure.get_label()
    assert axes.lines[-1].get_ydata()[0] == pytest.approx(1 / 6)
    assert axes.get_xscale() == "log"


# ----- 错误的输入 -----


def test_bad_bayes_inputs():
    prior = torch.tensor([0.5, 0.5])
    with pytest.raises(TypeError, match="参数 prior 应为 torch.Tensor，实际得到 list"):
        bayes_posterior([0.5, 0.5], prior)
    with pytest.raises(TypeError, match="参数 likelihood 应为浮点张量"):
        bayes_posterior(prior, torch.tensor([1, 0]))
    with pytest.raises(ValueError, match=r"形状相同的向量.*\(2,\) 和 \(3,\)"):
        bayes_posterior(prior, torch.ones(3))
    with pytest.raises(ValueError, match="参数 prior 的元素之和应为 1，实际为 0.9"):
        bayes_posterior(torch.tensor([0.5, 0.4]), prior)
    with pytest.raises(ValueError, match=r"参数 likelihood 的每个元素都应是 \[0, 1\] 内的概率"):
        bayes_posterior(prior, torch.tensor([1.5, 0.2]))
    with pytest.raises(ValueError, match=r"参数 prior 的每个元素都应是 \[0, 1\] 内的概率"):
        bayes_posterior(torch.tensor([1.5, -0.5]), prior)
    with pytest.raises(ValueError, match="P\\(E\\).*为 0"):
        bayes_posterior(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]))


def test_bad_moment_inputs():
    faces = torch.arange(1.0, 7.0)
    with pytest.raises(ValueError, match="参数 probs 的元素之和应为 1"):
        expectation(faces, torch.full((6,), 0.1))
    with pytest.raises(ValueError, match="形状相同的向量"):
        variance(faces, torch.full((3,), 1 / 3))
    with pytest.raises(TypeError, match="参数 values 应为浮点张量"):
        expectation(torch.arange(1, 7), torch.full((6,), 1 / 6))
    with pytest.raises(ValueError, match="的概率"):
        expectation(torch.ones(2), torch.tensor([float("nan"), 1.0]))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"num_rolls": 0}, ValueError, "正整数，实际得到 0"),
        ({"num_rolls": 10.0}, TypeError, "num_rolls 应为正整数.*float"),
        ({"num_rolls": True}, TypeError, "num_rolls 应为正整数.*bool"),
        ({"num_rolls": 10, "seed": "0"}, TypeError, "seed 应为整数.*str"),
    ],
)
def test_bad_roll_die_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        roll_die(**kwargs)


def test_bad_running_frequency_inputs():
    with pytest.raises(TypeError, match="参数 rolls 应为 torch.Tensor"):
        running_frequencies([1, 2, 3])
    with pytest.raises(ValueError, match="非空的一维整数张量.*torch.float32"):
        running_frequencies(torch.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="非空的一维整数张量"):
        running_frequencies(torch.tensor([], dtype=torch.int64))
    with pytest.raises(ValueError, match="点数应在 1 到 6 之间.*0 到 3"):
        running_frequencies(torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="num_faces 应为正整数"):
        running_frequencies(torch.tensor([1]), num_faces=0)
    with pytest.raises(TypeError, match="num_faces 应为正整数.*float"):
        running_frequencies(torch.tensor([1]), num_faces=6.0)


def test_bad_plot_input():
    with pytest.raises(ValueError, match="非空二维张量"):
        plot_running_frequencies(torch.ones(5))
    with pytest.raises(TypeError, match="浮点张量"):
        plot_running_frequencies(torch.ones(5, 6, dtype=torch.int64))


# ----- 二维正态分布的密度与连续边缘化 -----


@settings(deadline=None, max_examples=30)
@given(
    st.floats(min_value=0.3, max_value=3.0),
    st.floats(min_value=0.3, max_value=3.0),
    st.floats(min_value=-0.95, max_value=0.95),
)
def test_bivariate_normal_pdf_matches_multivariate_normal(sigma_x, sigma_y, rho):
    from torch.distributions import MultivariateNormal

    x = torch.linspace(-3, 3, 7, dtype=F64)
    y = torch.linspace(-2, 2, 5, dtype=F64)
    ours = bivariate_normal_pdf(x[:, None], y[None, :], sigma_x, sigma_y, rho)
    cov = torch.tensor(
        [[sigma_x**2, rho * sigma_x * sigma_y], [rho * sigma_x * sigma_y, sigma_y**2]], dtype=F64
    )
    grid = torch.stack(torch.meshgrid(x, y, indexing="ij"), dim=-1)
    expected = MultivariateNormal(torch.zeros(2, dtype=F64), cov).log_prob(grid).exp()
    assert ours.shape == (7, 5)
    assert torch.allclose(ours, expected, rtol=1e-10, atol=1e-14)


def test_marginal_by_trapezoid_is_the_one_dimensional_normal():
    from torch.distributions import Normal

    sigma_x, sigma_y, rho = 0.7, 2.0, -0.8
    xs = torch.linspace(-4, 4, 41, dtype=F64)
    ys = torch.linspace(-16, 16, 1601, dtype=F64)
    marginal = torch.trapezoid(bivariate_normal_pdf(xs[:, None], ys, sigma_x, sigma_y, rho), ys, dim=1)
    zero = torch.tensor(0.0, dtype=F64)
    assert torch.allclose(marginal, Normal(zero, zero + sigma_x).log_prob(xs).exp(), atol=1e-12)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((torch.tensor([0, 1]), torch.zeros(2), 1.0, 1.0, 0.0), TypeError, "参数 x 应为浮点张量"),
        (([0.0], torch.zeros(2), 1.0, 1.0, 0.0), TypeError, "参数 x 应为 torch.Tensor"),
        ((torch.zeros(2), torch.zeros(3), 1.0, 1.0, 0.0), ValueError, r"能互相广播.*\(2,\) 和 \(3,\)"),
        ((torch.zeros(2), torch.zeros(2), 0.0, 1.0, 0.0), ValueError, "sigma_x（x 的标准差）"),
        ((torch.zeros(2), torch.zeros(2), 1.0, -1.0, 0.0), ValueError, "sigma_y（y 的标准差）"),
        ((torch.zeros(2), torch.zeros(2), 1.0, 1.0, 1.0), ValueError, r"rho（相关系数）应在 \(-1, 1\) 内"),
        ((torch.zeros(2), torch.zeros(2), 1.0, 1.0, "0.5"), TypeError, "rho（相关系数）应为实数"),
    ],
)
def test_bivariate_normal_pdf_rejects_bad_input(args, error, message):
    with pytest.raises(error, match=message):
        bivariate_normal_pdf(*args)
