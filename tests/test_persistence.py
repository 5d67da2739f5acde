import json
import pickle
import shutil
import warnings
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import torch

import qestl
from qestl import ConditionalGAN, CrossSectionRegressor, TransferRegressor
from qestl.persistence import load_model_dir, save_model_config, save_model_dir

SHIPPED = Path(str(resources.files("qestl") / "pretrained"))


@pytest.fixture
def state():
    generator = torch.Generator().manual_seed(0)
    return {
        "layer.weight": torch.randn(16, 4, generator=generator),
        "layer.bias": torch.randn(16, generator=generator),
        "count": torch.tensor(3),
    }


@pytest.fixture
def saved(tmp_path, state):
    return save_model_dir(tmp_path / "model", {"estimator": "Toy", "params": {"k": 1}}, state)


def _flip(path, position):
    data = bytearray(path.read_bytes())
    data[position] ^= 0xFF
    path.write_bytes(bytes(data))


def test_round_trip_records_and_checks_the_weights_sha256(saved, state):
    written = json.loads((saved / "config.json").read_text())
    assert len(written["weights_sha256"]) == 64
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        config, loaded = load_model_dir(saved)
    assert config == {"estimator": "Toy", "format_version": 1, "params": {"k": 1}}
    assert loaded.keys() == state.keys()
    assert all(torch.equal(loaded[k], state[k]) for k in state)


def test_a_flipped_byte_in_the_tensors_is_refused_naming_the_file(saved, state):
    weights = saved / "weights.pt"
    position = weights.read_bytes().index(state["layer.weight"].numpy().tobytes())
    _flip(weights, position + 5)
    # the file still loads in torch, with one weight changed: only the hash catches it
    damaged = torch.load(weights, weights_only=True)
    assert not torch.equal(damaged["layer.weight"], state["layer.weight"])
    with pytest.raises(ValueError, match="not the file saved") as caught:
        load_model_dir(saved)
    assert str(weights) in str(caught.value)


def test_a_flipped_byte_anywhere_in_the_weights_is_refused(saved):
    weights = saved / "weights.pt"
    intact = weights.read_bytes()
    for position in range(0, len(intact), 97):
        weights.write_bytes(intact)
        _flip(weights, position)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch may warn about the damage first
            with pytest.raises((ValueError, pickle.UnpicklingError)) as caught:
                load_model_dir(saved)
        assert str(weights) in str(caught.value), position


@pytest.mark.parametrize("keep", [0.0, 0.5, 0.99])
def test_a_truncated_config_is_refused_naming_the_file(saved, keep):
    config = saved / "config.json"
    text = config.read_text()
    config.write_text(text[: int(len(text) * keep)])
    with pytest.raises(ValueError, match="not valid JSON.*truncated or damaged") as caught:
        load_model_dir(saved)
    assert str(config) in str(caught.value)


def test_truncated_or_missing_weights_are_refused_naming_the_file(saved):
    weights = saved / "weights.pt"
    weights.write_bytes(weights.read_bytes()[:-200])
    with pytest.raises(ValueError, match="not a readable tensor file") as caught:
        load_model_dir(saved)
    assert str(weights) in str(caught.value)
    weights.unlink()
    with pytest.raises(FileNotFoundError, match="weights.pt: missing"):
        load_model_dir(saved)


def test_pickled_objects_are_refused_naming_the_file(saved):
    class Payload:
        def __reduce__(self):
            return (print, ("this must never run",))

    torch.save({"x": Payload()}, saved / "weights.pt")
    with pytest.raises(pickle.UnpicklingError, match="weights.pt: torch.load.*refused"):
        load_model_dir(saved)


def test_config_of_another_shape_or_format_is_refused_naming_the_file(saved):
    config = saved / "config.json"
    config.write_text("[1, 2]")
    with pytest.raises(ValueError, match="config.json: expected a JSON object, found list"):
        load_model_dir(saved)
    config.write_text(json.dumps({"format_version": 99}))
    with pytest.raises(ValueError, match=r"config.json: unsupported model format 99"):
        load_model_dir(saved)


def test_models_saved_without_a_hash_load_with_a_warning(saved, state):
    config = json.loads((saved / "config.json").read_text())
    del config["weights_sha256"]  # as an older qestl wrote it
    (saved / "config.json").write_text(json.dumps(config))
    with pytest.warns(UserWarning, match="saved without the sha256 of its weights"):
        _, loaded = load_model_dir(saved)
    assert torch.equal(loaded["layer.bias"], state["layer.bias"])


def test_updating_the_config_alone_keeps_the_weights_hash(saved):
    recorded = json.loads((saved / "config.json").read_text())["weights_sha256"]
    save_model_config(saved, {"estimator": "Toy", "params": {"k": 2}})
    written = json.loads((saved / "config.json").read_text())
    assert written["weights_sha256"] == recorded
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_model_dir(saved)[0]["params"] == {"k": 2}


def test_saving_leaves_no_temporary_files(saved, state):
    save_model_dir(saved, {"estimator": "Toy"}, state, dtype=torch.float16)
    assert sorted(p.name for p in saved.iterdir()) == ["config.json", "weights.pt"]
    assert load_model_dir(saved)[1]["layer.weight"].dtype == torch.float16


@pytest.mark.parametrize(
    "name", sorted(p.name for p in SHIPPED.iterdir() if (p / "config.json").is_file())
)
def test_shipped_models_carry_their_weights_hash(name):
    config = json.loads((SHIPPED / name / "config.json").read_text())
    assert len(config["weights_sha256"]) == 64
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_model_dir(name)


def test_a_damaged_copy_of_a_shipped_model_is_refused_by_the_estimator(tmp_path):
    model = tmp_path / "carbon"
    shutil.copytree(SHIPPED / "carbon", model)
    X = np.array([[1.0, 37.5, 0.3]])
    expected = CrossSectionRegressor.load("carbon", device="cpu").predict(X)
    assert np.array_equal(CrossSectionRegressor.load(model, device="cpu").predict(X), expected)
    _flip(model / "weights.pt", (model / "weights.pt").stat().st_size // 2)
    with pytest.raises(ValueError, match="weights.pt: not the file saved"):
        CrossSectionRegressor.load(model, device="cpu")


def test_a_truncated_config_of_a_gan_is_refused_naming_the_file(tmp_path):
    model = tmp_path / "numu"
    shutil.copytree(SHIPPED / "numu-carbon", model)
    config = model / "config.json"
    config.write_text(config.read_text()[:-40])
    with pytest.raises(ValueError, match="config.json: not valid JSON"):
        ConditionalGAN.load(model, device="cpu")


def test_qestl_load_gives_the_estimator_that_saved_and_refuses_others(tmp_path):
    assert type(qestl.load("numu-carbon", device="cpu")) is ConditionalGAN
    assert type(qestl.load("carbon", device="cpu")) is CrossSectionRegressor
    # a fine-tuned model saves in CrossSectionRegressor's format and loads as one
    assert type(TransferRegressor.load("carbon", device="cpu")) is CrossSectionRegressor
    with pytest.raises(ValueError, match="holds a 'CrossSectionRegressor', not a ConditionalGAN"):
        ConditionalGAN.load("carbon")
    folder = tmp_path / "odd"
    shutil.copytree(resources.files("qestl") / "pretrained" / "carbon", folder)
    config = json.loads((folder / "config.json").read_text())
    save_model_config(folder, {**config, "estimator": "ScaledRegressor"})
    with pytest.raises(ValueError, match="unknown estimator 'ScaledRegressor' in a saved model"):
        qestl.load(folder)


def test_a_training_state_round_trips_checked_and_never_outlives_its_weights(tmp_path, state):
    from qestl.persistence import load_training_state

    training = {
        "optimizer": {"state": {0: {"step": torch.tensor(7.0)}}, "param_groups": [{"lr": 1e-3}]},
        "average": [torch.arange(3.0)],
        "frozen_stages": 1,
    }
    path = save_model_dir(tmp_path / "m", {"estimator": "Toy"}, state, training_state=training)
    loaded = load_training_state(path)
    assert loaded["frozen_stages"] == 1 and loaded["optimizer"]["param_groups"] == [{"lr": 1e-3}]
    assert torch.equal(loaded["optimizer"]["state"][0]["step"], torch.tensor(7.0))
    assert torch.equal(loaded["average"][0], torch.arange(3.0))
    # the model loads as before, its config without the training state's hash
    assert load_model_dir(path)[0] == {"estimator": "Toy", "format_version": 1}
    # updating the config keeps both hashes
    save_model_config(path, {"estimator": "Toy", "params": {"k": 2}})
    assert load_training_state(path)["frozen_stages"] == 1
    # damage is refused, naming the file
    _flip(path / "training_state.pt", 100)
    with pytest.raises(ValueError, match="training_state.pt: not the file saved"):
        load_training_state(path)
    (path / "training_state.pt").unlink()
    with pytest.raises(ValueError, match="training_state.pt: missing"):
        load_training_state(path)
    # saving the model again without one removes a stale training state
    save_model_dir(path, {"estimator": "Toy"}, state, training_state=training)
    save_model_dir(path, {"estimator": "Toy"}, state)
    assert not (path / "training_state.pt").exists()
    assert load_training_state(path) is None
