"""Bootstrap helpers: fixed resamples, intervals, paired deltas."""
import numpy as np

from quant.stats import bootstrap_indices, mean_with_interval, paired_delta, percentile_interval


def test_resamples_depend_only_on_size_count_and_seed():
    np.testing.assert_array_equal(bootstrap_indices(50, 10, seed=3), bootstrap_indices(50, 10, seed=3))
    assert not np.array_equal(bootstrap_indices(50, 10, seed=3), bootstrap_indices(50, 10, seed=4))


def test_interval_covers_mean_and_paired_delta_of_identical_is_zero():
    values = np.random.default_rng(0).normal(size=200)
    resamples = bootstrap_indices(200, 300)
    mean, (low, high), per = mean_with_interval(values, resamples)
    assert low < mean < high
    value, ci = paired_delta(mean, mean, per, per)
    assert value == 0 and ci == (0.0, 0.0)
    assert np.allclose(percentile_interval(np.arange(101)), (2.5, 97.5))
