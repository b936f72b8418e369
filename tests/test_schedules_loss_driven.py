"""AdaptiveLR (against recorded scikit-learn runs) and BoldDriverLR.

The sklearn runs come from tests/fixtures/make_adaptive_fixtures.py (schedules_adaptive.npz).
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

import gradkit.schedules as gs
from gradkit.optim import SGD

FIXTURE = Path(__file__).parent / "fixtures" / "schedules_adaptive.npz"


def _load() -> tuple[list[dict], dict[str, np.ndarray]]:
    with np.load(FIXTURE) as data:
        return json.loads(str(data["meta"])), {k: data[k] for k in data.files if k != "meta"}


META, ARRAYS = _load()
RUNS = [pytest.param(run, id=run["key"]) for run in META]


def _optimizer(lrs: list[float]) -> SGD:
    return SGD([{"params": [np.zeros(2)], "lr": lr} for lr in lrs])


def _hyper(opt: SGD) -> list[dict]:
    return [{k: v for k, v in group.items() if k != "params"} for group in opt.param_groups]


def _lrs(opt: SGD) -> list[float]:
    return [group["lr"] for group in opt.param_groups]


# --- AdaptiveLR against sklearn -------------------------------------------------------------------


def test_fixture_covers_divisions_stops_and_runs_to_max_iter() -> None:
    keys = {run["key"] for run in META}
    assert {"mlp_regressor", "mlp_classifier"} <= keys  # real sklearn training runs
    assert sum(run["stopped"] for run in META) >= 3
    assert any(not run["stopped"] for run in META)
    for run in META:
        lrs = ARRAYS[f"{run['key']}_lrs"]
        assert np.count_nonzero(lrs[1:] != lrs[:-1]) >= 3, run["key"]


@pytest.mark.parametrize("run", RUNS)
def test_adaptive_matches_sklearn(run: dict) -> None:
    losses, want = ARRAYS[f"{run['key']}_losses"], ARRAYS[f"{run['key']}_lrs"]
    opt = _optimizer([run["lr"]])
    sched = gs.AdaptiveLR(opt, factor=0.2, patience=run["n_iter_no_change"], tol=run["tol"])
    got = [sched.get_last_lr()[0]]
    stops = []
    for loss in losses:
        sched.step(loss)
        got.append(sched.get_last_lr()[0])
        stops.append(sched.stopped)
        assert _lrs(opt) == sched.get_last_lr()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    # 1 / 0.2 is exactly 5.0: the lrs are sklearn's to the last bit.
    np.testing.assert_array_equal(got, want)
    # sklearn stops at its last epoch, exactly when the scheduler says so.
    assert stops == [False] * (len(losses) - 1) + [run["stopped"]]
    assert sched.last_epoch == run["n_iter"] == len(losses)


@pytest.mark.parametrize("run", RUNS)
def test_adaptive_lr_history_is_the_sklearn_history(run: dict) -> None:
    losses, want = ARRAYS[f"{run['key']}_losses"], ARRAYS[f"{run['key']}_lrs"]
    got = gs.AdaptiveLR.lr_history(losses, lr=run["lr"], patience=run["n_iter_no_change"], tol=run["tol"])
    np.testing.assert_array_equal(got, want)


def test_adaptive_resumes_exactly_from_state_dict() -> None:
    run = next(r for r in META if r["key"] == "mlp_classifier")
    losses, want = ARRAYS["mlp_classifier_losses"], ARRAYS["mlp_classifier_lrs"]
    kwargs = {"patience": run["n_iter_no_change"], "tol": run["tol"]}
    opt = _optimizer([run["lr"]])
    sched = gs.AdaptiveLR(opt, **kwargs)
    half = len(losses) // 2
    for loss in losses[:half]:
        sched.step(loss)
    saved = copy.deepcopy((opt.state_dict(), sched.state_dict()))
    assert "optimizer" not in saved[1]
    assert {"best_loss", "no_improvement_count", "last_epoch", "stopped", "factor", "patience", "tol"} <= set(
        saved[1]
    )
    opt2 = _optimizer([1.0])
    sched2 = gs.AdaptiveLR(opt2, **kwargs)
    opt2.load_state_dict(saved[0])
    sched2.load_state_dict(saved[1])
    got = []
    for loss in losses[half:]:
        sched2.step(loss)
        got.append(sched2.get_last_lr()[0])
    np.testing.assert_array_equal(got, want[half + 1 :])
    assert sched2.stopped and sched2.last_epoch == len(losses)


# --- AdaptiveLR behaviour -------------------------------------------------------------------------


def test_adaptive_defaults() -> None:
    sched = gs.AdaptiveLR(_optimizer([0.1]))
    assert (sched.factor, sched.patience, sched.tol, sched.min_lr, sched.max_lr) == (0.2, 2, 1e-4, None, None)
    assert (sched.best_loss, sched.no_improvement_count, sched.last_epoch, sched.stopped) == (
        math.inf,
        0,
        0,
        False,
    )
    assert sched.get_last_lr() == [0.1]


def test_adaptive_divides_each_group_and_respects_bounds() -> None:
    opt = _optimizer([0.5, 0.01, 0.0])
    sched = gs.AdaptiveLR(opt, factor=0.5, patience=0, min_lr=[0.2, 0.0, 0.0], max_lr=0.3)
    sched.step(1.0)
    assert _lrs(opt) == [0.5, 0.01, 0.0]  # the lrs given are not clamped until the rule sets them
    sched.step(1.0)
    assert _lrs(opt) == [0.25, 0.005, 0.0]
    sched.step(1.0)
    assert _lrs(opt) == [0.2, 0.0025, 0.0]
    sched.step(np.float32(0.5))  # an improvement
    assert _lrs(opt) == [0.2, 0.0025, 0.0]


def test_adaptive_max_lr_caps_a_reduced_lr() -> None:
    opt = _optimizer([1.0])
    sched = gs.AdaptiveLR(opt, patience=0, max_lr=0.1)
    sched.step(1.0)
    sched.step(1.0)
    assert _lrs(opt) == [0.1]


def test_adaptive_stops_at_sklearns_threshold_and_stays_stopped() -> None:
    opt = _optimizer([4e-6])
    sched = gs.AdaptiveLR(opt, patience=0)
    sched.step(1.0)
    sched.step(1.0)
    assert _lrs(opt) == [4e-6 / 5] and not sched.stopped
    sched.step(1.0)  # 8e-7 <= 1e-6: sklearn stops here
    assert sched.stopped and _lrs(opt) == [4e-6 / 5]
    opt.param_groups[0]["lr"] = 0.1  # an lr changed by hand is left alone once stopped
    for _ in range(3):
        sched.step(1.0)
    assert sched.stopped and _lrs(opt) == [0.1]


def test_adaptive_nan_loss_counts_as_no_improvement() -> None:
    sched = gs.AdaptiveLR(_optimizer([0.1]), patience=5)
    sched.step(1.0)
    sched.step(float("nan"))
    assert sched.no_improvement_count == 1 and sched.best_loss == 1.0


def test_adaptive_negated_validation_score_gives_sklearns_early_stopping_rule() -> None:
    # sklearn (early_stopping=True): no improvement when score < best_score + tol.
    scores = [0.5, 0.6, 0.6001, 0.62, 0.62, 0.62, 0.7]
    sched = gs.AdaptiveLR(_optimizer([0.1]), patience=10, tol=0.01)
    best, count, counts = -math.inf, 0, []
    for score in scores:
        count = count + 1 if score < best + 0.01 else 0
        best = max(best, score)
        sched.step(-score)
        counts.append(sched.no_improvement_count)
        assert count == sched.no_improvement_count
    assert counts == [0, 0, 1, 0, 1, 2, 0]


# --- BoldDriverLR ---------------------------------------------------------------------------------


def _bold_driver(losses: list[float], lr: float, increase: float, decrease: float) -> list[float]:
    # The rule, written out, for hand-made sequences.
    out, previous = [lr], None
    for loss in losses:
        if not math.isfinite(loss):
            lr, previous = lr * decrease, None
            out.append(lr)
            continue
        if previous is not None and loss < previous:
            lr *= increase
        elif previous is not None and loss > previous:
            lr *= decrease
        previous = loss
        out.append(lr)
    return out


@pytest.mark.parametrize(
    ("losses", "increase", "decrease"),
    [
        ([1.0, 0.9, 0.8, 0.85, 0.85, 0.7, 0.71, 0.6, 0.5, 0.4], 1.05, 0.5),
        ([5.0, 4.0, 3.0, 2.0, 1.0, 0.5, 0.25], 1.1, 0.7),
        ([1.0, 2.0, 3.0, 2.0, 2.0, 2.0, 1.0], 1.0, 1.0),
        ([1.0, float("nan"), 0.5, 0.4, float("inf"), 0.3, 0.35, -float("inf")], 1.2, 0.3),
        ([float("nan"), 1.0, 0.5], 1.5, 0.5),
    ],
)
def test_bold_driver_formula(losses: list[float], increase: float, decrease: float) -> None:
    opt = _optimizer([0.1])
    sched = gs.BoldDriverLR(opt, increase=increase, decrease=decrease)
    got = [sched.get_last_lr()[0]]
    for loss in losses:
        sched.step(loss)
        got.append(sched.get_last_lr()[0])
    assert got == _bold_driver(losses, 0.1, increase, decrease)
    assert _lrs(opt) == [got[-1]]
    assert sched.last_epoch == len(losses)


def test_bold_driver_defaults_and_first_step() -> None:
    sched = gs.BoldDriverLR(_optimizer([0.1]))
    assert (sched.increase, sched.decrease, sched.min_lr, sched.max_lr) == (1.05, 0.5, None, None)
    assert sched.previous_loss is None and sched.last_epoch == 0
    sched.step(3.0)
    assert sched.get_last_lr() == [0.1] and sched.previous_loss == 3.0
    sched.step(2.0)
    assert sched.get_last_lr() == [0.1 * 1.05]


def test_bold_driver_scales_every_group_within_its_bounds() -> None:
    opt = _optimizer([0.1, 0.02, 1.0])
    sched = gs.BoldDriverLR(opt, increase=2.0, decrease=0.25, min_lr=[0.05, 0.0, 0.0], max_lr=[0.3, 1.0, 2.0])
    sched.step(1.0)
    for loss in (0.9, 0.8):
        sched.step(loss)
    assert _lrs(opt) == [0.3, 0.08, 2.0]
    sched.step(1.0)
    assert _lrs(opt) == [0.075, 0.02, 0.5]
    sched.step(2.0)
    assert _lrs(opt) == [0.05, 0.005, 0.125]


def test_bold_driver_resumes_exactly_from_state_dict() -> None:
    rng = np.random.default_rng(3)
    losses = list(np.cumsum(rng.normal(size=40)))
    losses[17] = float("nan")
    want = gs.BoldDriverLR.lr_history(losses, lr=0.1, increase=1.1, decrease=0.6)
    for half in (0, 1, 17, 18, 25):
        opt = _optimizer([0.1])
        sched = gs.BoldDriverLR(opt, increase=1.1, decrease=0.6)
        for loss in losses[:half]:
            sched.step(loss)
        saved = copy.deepcopy(sched.state_dict())
        assert {"previous_loss", "last_epoch", "increase", "decrease", "_last_lr"} <= set(saved)
        opt2 = _optimizer([opt.param_groups[0]["lr"]])
        sched2 = gs.BoldDriverLR(opt2)
        sched2.load_state_dict(saved)
        assert sched2.get_last_lr() == sched.get_last_lr()
        got = []
        for loss in losses[half:]:
            sched2.step(loss)
            got.append(sched2.get_last_lr()[0])
        np.testing.assert_array_equal(got, want[half + 1 :], err_msg=f"resumed after {half}")


def test_bold_driver_lr_history() -> None:
    got = gs.BoldDriverLR.lr_history(
        [3.0, 2.0, float("nan"), 1.0, 0.5, 0.25], lr=1.0, increase=2.0, max_lr=3.0
    )
    np.testing.assert_array_equal(got, [1.0, 1.0, 2.0, 1.0, 1.0, 2.0, 3.0])
    assert gs.BoldDriverLR.lr_history([], lr=0.5).tolist() == [0.5]


# --- Both: arguments, losses, lr_curve ------------------------------------------------------------

BOTH = [gs.AdaptiveLR, gs.BoldDriverLR]


def test_a_bound_that_is_not_a_number_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="min_lr must be a number"):
        gs.AdaptiveLR(_optimizer([0.1, 0.01]), min_lr="0.1")


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (gs.AdaptiveLR, {"factor": 1.0}, r"^AdaptiveLR: factor must be in \(0, 1\), got 1\.0$"),
        (gs.AdaptiveLR, {"factor": 0.0}, "factor must be in"),
        (gs.AdaptiveLR, {"factor": float("nan")}, "factor must be in"),
        (gs.AdaptiveLR, {"patience": -1}, r"^AdaptiveLR: patience must be >= 0, got -1$"),
        (gs.AdaptiveLR, {"tol": -1e-4}, "tol must be a finite number >= 0"),
        (gs.AdaptiveLR, {"tol": float("inf")}, "tol must be a finite number >= 0"),
        (
            gs.BoldDriverLR,
            {"increase": 0.9},
            r"^BoldDriverLR: increase must be a finite number >= 1, got 0\.9$",
        ),
        (gs.BoldDriverLR, {"increase": float("inf")}, "increase must be"),
        (gs.BoldDriverLR, {"decrease": 0.0}, r"^BoldDriverLR: decrease must be in \(0, 1\], got 0\.0$"),
        (gs.BoldDriverLR, {"decrease": 1.5}, "decrease must be in"),
        (gs.BoldDriverLR, {"min_lr": -0.1}, "min_lr must be a finite non-negative number"),
        (gs.AdaptiveLR, {"max_lr": -1.0}, "max_lr must be a non-negative number"),
        (gs.AdaptiveLR, {"min_lr": [0.1]}, r"^min_lr has 1 values but the optimizer has 2 param groups"),
        (gs.BoldDriverLR, {"min_lr": 0.2, "max_lr": 0.1}, r"must not be greater than max_lr"),
        (gs.AdaptiveLR, {"min_lr": [0.0, 0.5], "max_lr": [1.0, 0.4]}, r"must not be greater than max_lr"),
    ],
)
def test_bad_arguments_raise_before_touching_the_optimizer(cls: type, kwargs: dict, message: str) -> None:
    opt = _optimizer([0.1, 0.01])
    before = _hyper(opt)
    with pytest.raises(ValueError, match=message):
        cls(opt, **kwargs)
    assert _hyper(opt) == before


@pytest.mark.parametrize("cls", BOTH)
def test_not_an_optimizer(cls: type) -> None:
    with pytest.raises(TypeError, match="is not an Optimizer"):
        cls(object())


@pytest.mark.parametrize("cls", BOTH)
def test_step_needs_a_real_loss(cls: type) -> None:
    opt = _optimizer([0.1])
    sched = cls(opt)
    sched.step(1.0)
    state = copy.deepcopy(sched.state_dict())
    with pytest.raises(TypeError, match=r"step\(\) needs the loss: call step\(loss\)"):
        sched.step()
    with pytest.raises(TypeError, match="needs the loss"):
        sched.step(None)
    for bad in ("0.5", b"1", 1 + 2j, np.complex128(1.0), np.array([1.0]), [1.0], object()):
        with pytest.raises(TypeError, match="the loss must be a real number"):
            sched.step(bad)
    assert sched.state_dict() == state and _lrs(opt) == [0.1]


@pytest.mark.parametrize("cls", BOTH)
def test_losses_of_any_real_type(cls: type) -> None:
    losses = [4.0, 3.0, 3.0, 3.0, 5.0, 5.0, 5.0, 2.0]
    kinds = [float, int, np.float64, np.float32, np.float16, np.int64, np.array]
    want = cls.lr_history(losses, lr=0.1, **({"patience": 1} if cls is gs.AdaptiveLR else {}))
    for kind in kinds:
        opt = _optimizer([0.1])
        sched = cls(opt, **({"patience": 1} if cls is gs.AdaptiveLR else {}))
        for loss in losses:
            sched.step(kind(loss))
        assert sched.get_last_lr()[0] == want[-1], kind


@pytest.mark.parametrize("cls", BOTH)
def test_lr_curve_refuses_and_points_to_lr_history(cls: type) -> None:
    with pytest.raises(TypeError, match=rf"lr_curve cannot give {cls.__name__}'s curve.*lr_history"):
        gs.lr_curve(cls, 10, lr=0.1)
    with pytest.raises(TypeError, match="not optimizer"):
        cls.lr_history([1.0], optimizer=_optimizer([0.1]))
    with pytest.raises(ValueError, match="1-d sequence"):
        cls.lr_history([[1.0, 2.0]])


@pytest.mark.parametrize("cls", BOTH)
def test_list_bounds_must_follow_new_param_groups(cls: type) -> None:
    opt = _optimizer([0.1])
    sched = cls(opt, min_lr=[0.0])
    opt.add_param_group({"params": [np.zeros(2)], "lr": 0.1})
    with pytest.raises(ValueError, match="min_lr has 1 values but the optimizer has 2 param groups"):
        sched.step(1.0)
    assert sched.last_epoch == 0
    scalar = cls(opt, min_lr=0.0, max_lr=1.0)
    opt.add_param_group({"params": [np.zeros(2)], "lr": 0.3})
    scalar.step(1.0)
    assert scalar.get_last_lr() == [0.1, 0.1, 0.3]


@pytest.mark.parametrize("cls", BOTH)
def test_load_state_dict_checks_arguments_first(cls: type) -> None:
    sched = cls(_optimizer([0.1]))
    state = sched.state_dict()
    bad = dict(state, **({"factor": 2.0} if cls is gs.AdaptiveLR else {"decrease": 2.0}))
    with pytest.raises(ValueError):
        sched.load_state_dict(bad)
    assert sched.state_dict() == state
