import pytest
import torch

from qestl.nn.averaging import WeightAverage


def one_weight(value):
    module = torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        module.weight.fill_(value)
    return module


def set_weight(module, value):
    with torch.no_grad():
        module.weight.fill_(value)


def averaged_weight(average):
    return float(next(average.average.module.parameters()).detach())


def test_first_update_copies_then_the_decay_warms_up():
    module = one_weight(0.0)
    average = WeightAverage(module, decay=0.5)
    average.update()
    assert averaged_weight(average) == 0.0
    set_weight(module, 1.0)
    average.update()  # t = 1: decay min(0.5, 2/11) = 2/11
    assert averaged_weight(average) == pytest.approx(9 / 11)
    average.update()  # t = 2: decay min(0.5, 3/12) = 1/4
    assert averaged_weight(average) == pytest.approx(1 - 0.25 * 2 / 11)
    for _ in range(20):  # t >= 8: the decay is the asked 0.5
        average.update()
    set_weight(module, 3.0)
    before = averaged_weight(average)
    average.update()
    assert averaged_weight(average) == pytest.approx(0.5 * before + 0.5 * 3.0)
    assert average.n_updates == 24


def test_swapped_in_lends_the_average_and_gives_the_weights_back():
    module = one_weight(0.0)
    average = WeightAverage(module, decay=0.9)
    average.copy_to_module()  # nothing averaged yet: the module keeps its weights
    assert float(module.weight.detach()) == 0.0
    average.update()
    set_weight(module, 2.0)
    with average.swapped_in():
        assert float(module.weight.detach()) == 0.0
    assert float(module.weight.detach()) == 2.0
    with pytest.raises(RuntimeError, match="inside"), average.swapped_in():
        raise RuntimeError("inside")
    assert float(module.weight.detach()) == 2.0
    average.copy_to_module()
    assert float(module.weight.detach()) == 0.0


@pytest.mark.parametrize("decay", [0.0, 1.0, -0.1])
def test_decay_outside_the_open_unit_interval_is_refused(decay):
    with pytest.raises(ValueError, match="decay must be in"):
        WeightAverage(one_weight(0.0), decay)


def test_a_restored_average_continues_as_the_original_would():
    module = one_weight(1.0)
    original = WeightAverage(module, decay=0.9)
    for value in (1.0, 2.0, 4.0):
        set_weight(module, value)
        original.update()
    saved = original.state_dict()
    restored = WeightAverage(one_weight(0.0), decay=0.9)
    restored.load_state_dict(saved)
    assert restored.n_updates == 3 and averaged_weight(restored) == averaged_weight(original)
    set_weight(module, 8.0)
    set_weight(restored.module, 8.0)
    original.update()
    restored.update()  # the warm-up decay of update 4, not a first copy
    assert averaged_weight(restored) == pytest.approx(averaged_weight(original))
    assert averaged_weight(restored) != 8.0
    with pytest.raises(ValueError, match="do not match"):
        WeightAverage(torch.nn.Linear(2, 1), decay=0.9).load_state_dict(saved)
