"""The verdict rule on given figures (known answers)."""

from __future__ import annotations

from augment.probe.verdict import decide


def _decide(ratio, low, high, *, lift=0.1, zero=False, n=20, left=100, cost=0.01):
    return decide({"ratio": ratio, "low": low, "high": high, "metric": "cold recall@20"},
                  precision_lift=lift, has_pseudo=True, weights_zero=zero, n_targets=n,
                  targets_left=left, cost_per_target=cost)


def test_go_needs_the_low_end_above_1_and_more_precise_picks_than_free():
    assert _decide(1.3, 1.05, 1.6).verdict == "go"
    held = _decide(1.3, 1.05, 1.6, lift=-0.01)
    assert held.verdict == "unclear" and "no more precise" in held.reason
    assert held.more_targets is None


def test_no_go_without_lift_or_when_the_weight_leaves_the_data_out():
    assert _decide(1.0, 0.9, 1.1).verdict == "no-go"
    assert _decide(0.8, 0.7, 0.95).verdict == "no-go"
    assert _decide(1.2, 1.1, 1.3, zero=True).verdict == "no-go"
    assert _decide(None, None, None).verdict == "no-go"


def test_unclear_proposes_targets_from_the_half_width():
    v = _decide(1.1, 0.95, 1.25)  # half-width 0.15, lift 0.1: 20 x 1.5^2 = 45 targets
    assert v.verdict == "unclear" and v.more_targets == 25
    assert v.more_cost_usd == 0.25 and "probe 25 more targets (cost $0.2500)" in v.reason
    assert _decide(1.1, 0.95, 1.25, left=7).more_targets == 7
    assert _decide(1.1, 0.95, 1.25, left=0).more_targets is None
