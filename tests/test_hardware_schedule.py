"""Per-rule schedules."""

import pytest

from cimbench.errors import ConfigError
from cimbench.hardware.schedule import backward_latency, chains, forward_latency, rule

AG = [0.0, 2.0, 3.0]
WG = [5.0, 7.0, 1.0]
WU = [10.0, 11.0, 9.0]


def test_forward_is_sum():
    assert forward_latency([1.0, 2.0, 3.0]) == 6.0


@pytest.mark.parametrize("algo", ["bp", "fa"])
def test_sequential_rules_sum(algo):
    assert backward_latency(algo, AG, WG, WU) == pytest.approx(sum(AG) + sum(WG) + sum(WU))


@pytest.mark.parametrize("algo", ["dfa", "drtp"])
def test_parallel_rules_max(algo):
    # chain l = projection booked at layer l+1 + WG_l + WU_l
    c = [2.0 + 5 + 10, 3.0 + 7 + 11, 0.0 + 1 + 9]
    assert chains(algo, AG, WG, WU) == c
    assert backward_latency(algo, AG, WG, WU) == pytest.approx(max(c))
    assert backward_latency(algo, AG, WG, WU) < backward_latency("bp", AG, WG, WU)


@pytest.mark.parametrize("algo", ["dfa", "drtp"])
def test_parallel_chains_share_one_dram_channel(algo):
    """Overlapping chains cannot finish before all their DRAM transfers have passed one after
    another; while the transfers fit inside the longest chain, nothing changes."""
    longest = max(chains(algo, AG, WG, WU))                   # 21
    assert backward_latency(algo, AG, WG, WU, shared=[3.0, 4.0, 5.0]) == pytest.approx(longest)
    assert backward_latency(algo, AG, WG, WU, shared=[9.0, 8.0, 7.0]) == pytest.approx(24.0)


def test_sequential_rules_ignore_the_shared_channel_bound():
    """bp/fa already run one chain at a time: their transfers are inside their chains."""
    assert backward_latency("bp", AG, WG, WU, shared=[30.0, 30.0, 30.0]) == pytest.approx(
        sum(AG) + sum(WG) + sum(WU))


def test_shallow_only_last_layer():
    assert backward_latency("shallow", AG, WG, WU) == pytest.approx(WG[-1] + WU[-1])


def test_rule_structure():
    assert rule("bp").transposed_read and not rule("dfa").transposed_read
    assert rule("fa").feedback == "layer" and rule("dfa").feedback == "direct"
    assert rule("drtp").wg_unit_per_layer and not rule("bp").wg_unit_per_layer
    with pytest.raises(ConfigError):
        rule("hebb")
