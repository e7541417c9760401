"""Reliability: bad inputs and injected faults against a small model, and how many were handled.

Run:  python benchmarks/reliability.py [--fuzz 500]   (or make reliability; about a minute)

"Handled" means: a clear project error (an ml.MLError, or exit code 2 with one
``error:`` line from the CLI) or a sound answer (probabilities summing to 1, JSON
that encodes as UTF-8), and for model files also that no payload ran and the
current model still loads. Anything else is counted as not handled and listed.
Everything runs in a temporary directory on a model trained there on a few rows.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import io
import json
import os
import pickle
import random
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import skops.io as sio

from ml.artifacts import CHECKSUM_FILE, META_FILE, MODEL_FILE, read_version
from ml.cli import main
from ml.config import TrainingProtocol
from ml.errors import MLError
from ml.pipeline import feature_step
from ml.predict import load_model
from ml.store import POINTER_FILE, SAVE_STEPS, ModelStore
from ml.tasks import custom_task
from ml.workflow import train_task

FILLERS = ("ok", "then", "so", "well", "hmm", "right", "yes", "now", "sure", "cool", "anyway", "yeah")
ROWS = [(f"{words} {filler}", "we text most days", label)
        for label, words in (("hang", "dinner friday"), ("silence", "long time no talk"), ("other", "send the file"))
        for filler in FILLERS]
ONE_CANDIDATE = {"C": [10.0], "word_ngrams": [(1, 2)], "char_ngrams": [(2, 4)], "class_weight": [None]}


class Tally:
    """Outcomes per category, and a description of each case not handled."""

    def __init__(self) -> None:
        self.counts: dict[str, list[int]] = {}
        self.failures: list[str] = []

    def record(self, category: str, case: str, handled: bool) -> None:
        tried_handled = self.counts.setdefault(category, [0, 0])
        tried_handled[0] += 1
        tried_handled[1] += handled
        if not handled:
            self.failures.append(f"{category}: {case}")


def sound_or_project_error(call: Callable[[], object]) -> bool:
    try:
        results = call()
    except MLError:
        return True
    except Exception:  # anything else is exactly what this benchmark looks for
        return False
    for result in results if isinstance(results, list) else [results]:
        if abs(sum(p for _, p in result.ranking) - 1.0) > 1e-6:
            return False
        json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")
    return True


def cli_refuses(*argv: str, stdin: bytes | None = None) -> bool:
    """Exit code 2 with a single error line, nothing on stdout."""
    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin))
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(argv))
    except SystemExit as exit_:  # argparse usage errors also exit 2
        code = exit_.code
    except Exception:
        return False
    finally:
        sys.stdin = saved_stdin
    text = err.getvalue().strip().splitlines()
    return code == 2 and out.getvalue() == "" and len(text) >= 1 and text[-1].startswith(("error:", "ml "))


def bad_inputs(model, tally: Tally, fuzz: int) -> None:
    cases: list[tuple[str, Callable[[], object]]] = [
        ("None", lambda: model.interpret(None)), ("int", lambda: model.interpret(42)),
        ("bytes", lambda: model.interpret(b"miss you")), ("empty", lambda: model.interpret("")),
        ("spaces", lambda: model.interpret(" \t\n")), ("control only", lambda: model.interpret("\x00\x07")),
        ("zero-width only", lambda: model.interpret("\u200b\ufeff")), ("apostrophes", lambda: model.interpret("'''")),
        ("too long", lambda: model.interpret("x" * 2001)), ("lone surrogate", lambda: model.interpret("a\ud800b")),
        ("Hebrew", lambda: model.interpret("אני מתגעגע אליך")), ("Greek", lambda: model.interpret("σου λείπω")),
        ("emoji", lambda: model.interpret("😘🥺")), ("RTL override", lambda: model.interpret("\u202emiss you")),
        ("context int", lambda: model.interpret("hi", context=3)),
        ("context too long", lambda: model.interpret("hi", context="y" * 100_000)),
        ("context surrogate", lambda: model.interpret("hi", context="\udc00")),
        ("his_name int", lambda: model.interpret("hi", his_name=1)),
        ("his_name long", lambda: model.interpret("hi", his_name="S" * 101)),
        ("his_name surrogate", lambda: model.interpret("hi", his_name="\ud800")),
        ("evidence_terms 0", lambda: model.interpret("hi", evidence_terms=0)),
        ("evidence_terms -3", lambda: model.interpret("hi", evidence_terms=-3)),
        ("evidence_terms str", lambda: model.interpret("hi", evidence_terms="3")),
        ("batch None", lambda: model.interpret_many(None)), ("batch dict", lambda: model.interpret_many({"a": 1})),
        ("batch str", lambda: model.interpret_many("hi")), ("batch int", lambda: model.interpret_many(3)),
        ("batch with None", lambda: model.interpret_many(["hi", None])),
        ("contexts mismatch", lambda: model.interpret_many(["a", "b"], ["c"])),
        ("frame without message", lambda: model.interpret_many(pd.DataFrame({"text": ["hi"]}))),
    ]
    for name, call in cases:
        tally.record("library: bad inputs", name, sound_or_project_error(call))
    rng = random.Random(13)
    for i in range(fuzz):
        text = "".join(chr(rng.choice([rng.randrange(0x20, 0x7f), rng.randrange(0, 0x110000)]))
                       for _ in range(rng.randrange(0, 60)))
        handled = sound_or_project_error(lambda t=text: model.interpret(t))
        tally.record("library: random text", f"fuzz #{i} {text!r}", handled)


def bad_files(root: Path, work: Path, tally: Tally) -> None:
    def write(name: str, data: bytes) -> str:
        path = work / name
        path.write_bytes(data)
        return str(path)

    model = ["--model", str(root)]
    out = str(work / "out.csv")
    good = write("good.csv", b"message\ndinner friday?\n")
    rows = "message,context,label\n" + "".join(f"{m},{c},{label}\n" for m, c, label in ROWS)
    train = ["train", "--labels-from-data", "--task", "x", "--out", str(work / "x"), "--quick", "--folds", "3"]
    cases: list[tuple[str, tuple[str, ...], bytes | None]] = [
        ("/dev/zero input", ("predict", *model, "--input", "/dev/zero", "--output", out), None),
        ("directory input", ("predict", *model, "--input", str(work), "--output", out), None),
        ("missing input", ("predict", *model, "--input", str(work / "nope.csv"), "--output", out), None),
        ("output == input", ("predict", *model, "--input", good, "--output", good), None),
        ("duplicate columns", ("predict", *model, "--input", write("d.csv", b"message,message\na,b\n"),
                               "--output", out), None),
        ("latin-1 file", ("predict", *model, "--input", write("l.csv", "message\ncafé\n".encode("latin-1")),
                          "--output", out), None),
        ("no message column", ("predict", *model, "--input", write("n.csv", b"text\nhi\n"), "--output", out), None),
        ("empty row in batch", ("predict", *model, "--input", write("e.csv", b"message\nhi\n \n"),
                                "--output", out), None),
        ("undecodable stdin", ("predict", *model), b"hi\n\xff\xfe\n"),
        ("task ../../x", ("predict", "--task", "../../x", "hi"), None),
        ("task with space", ("predict", "--task", "a b", "hi"), None),
        ("top-k 0", ("predict", *model, "hi", "--top-k", "0"), None),
        ("holdout 1.5", (*train, "--data", write("t1.csv", rows.encode()), "--holdout", "1.5"), None),
        ("holdout 0", (*train, "--data", write("t2.csv", rows.encode()), "--holdout", "0"), None),
        ("holdout -0.1", (*train, "--data", write("t3.csv", rows.encode()), "--holdout", "-0.1"), None),
        ("one label", (*train, "--data", write("t4.csv", b"message,label\n" + b"".join(
            f"m{i},a\n".encode() for i in range(20)))), None),
        ("label with one row", (*train, "--data", write("t5.csv", (rows + "lonely,,solo\n").encode())), None),
        ("three rows", (*train, "--data", write("t6.csv", b"message,label\na,x\nb,y\nc,x\n")), None),
        ("conflicting labels", (*train, "--data", write("t7.csv", (rows + "dinner friday ok,we text most days,other\n"
                                                                    ).encode())), None),
        ("message too long", (*train, "--data", write("t8.csv", (rows + "x" * 2001 + ",,hang\n").encode())), None),
        ("meaning missing labels", ("train", "--task", "meaning", "--data", write("t9.csv", rows.replace(
            "hang", "wants_to_hang_out").replace("silence", "back_from_silence").replace(
            "other", "not_about_missing").encode()), "--out", str(work / "m"), "--quick", "--folds", "3"), None),
        ("folds 1", (*train, "--data", write("t10.csv", rows.encode()), "--folds", "1"), None),
        ("evaluate bad label", ("evaluate", *model, "--data", write("ev.csv", b"message,label\nhi,zzz\n")), None),
        ("rollback unknown", ("models", "rollback", *model, "--to", "20990101-000000-000000"), None),
        ("list empty dir", ("models", "list", "--model", str(work / "empty")), None),
    ]
    for name, argv, stdin in cases:
        tally.record("CLI: bad files and options", name, cli_refuses(*argv, stdin=stdin))


class _TouchOnUnpickle:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _rewrite(directory: Path, model: bytes | None = None, meta: dict | None = None) -> None:
    if model is not None:
        (directory / MODEL_FILE).write_bytes(model)
    if meta is not None:
        (directory / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    (directory / CHECKSUM_FILE).write_text("".join(
        f"{hashlib.sha256((directory / n).read_bytes()).hexdigest()}  {n}\n" for n in (MODEL_FILE, META_FILE)))


def _wrong_values(value: object) -> list[object]:
    if isinstance(value, dict):
        return [None, [], "x"]
    if isinstance(value, bool):
        return ["true", 1]
    if isinstance(value, int | float):
        return [-1, 1e9, "0.5", None, True]
    if isinstance(value, list):
        return [[], "x", [1, 2]]
    return [None, 5, "../../etc/passwd", ""]


def _leaves(meta: dict, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], object]]:
    found = []
    for key, value in meta.items():
        found.append(((*prefix, key), value))
        if isinstance(value, dict):
            found.extend(_leaves(value, (*prefix, key)))
    return found


_DELETE = object()  # _edited's "remove the field" value


def _edited(meta: dict, path: tuple[str, ...], value: object = _DELETE) -> dict:
    """A deep copy of ``meta`` with the field at ``path`` set to ``value``, or removed (the default)."""
    edited = copy.deepcopy(meta)
    target = edited
    for key in path[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return edited


Attempt = Callable[[str, Callable[[Path], None]], None]


def _file_faults(attempt: Attempt, armed_model: bytes, marker: Path) -> None:
    """Damage to the model file and checksums: payloads, truncation, bit flips."""
    attempt("pickle payload, checksums recomputed",
            lambda d: _rewrite(d, model=pickle.dumps(_TouchOnUnpickle(marker))))
    attempt("skops file calling os.system, checksums recomputed", lambda d: _rewrite(d, model=armed_model))
    attempt("model truncated", lambda d: (d / MODEL_FILE).write_bytes((d / MODEL_FILE).read_bytes()[:999]))
    attempt("model emptied", lambda d: (d / MODEL_FILE).write_bytes(b""))
    attempt("metadata not JSON, checksums recomputed", lambda d: ((d / META_FILE).write_text("{no"), _rewrite(d)))
    attempt("metadata edited, checksums not", lambda d: (d / META_FILE).write_text("{}"))
    attempt("checksum file removed", lambda d: (d / CHECKSUM_FILE).unlink())
    attempt("checksum file garbled", lambda d: (d / CHECKSUM_FILE).write_text("nonsense\n"))
    for i in range(20):
        def flip(d: Path, seed: int = i) -> None:
            data = bytearray((d / MODEL_FILE).read_bytes())
            data[random.Random(seed).randrange(len(data))] ^= 0xFF
            (d / MODEL_FILE).write_bytes(bytes(data))
        attempt(f"model bit flip #{i}", flip)


def _metadata_faults(attempt: Attempt, meta: dict) -> None:
    """Every metadata field deleted or set to wrong values, checksums recomputed so only the reader can refuse."""
    for path, value in _leaves(meta):
        attempt(f"metadata {'.'.join(path)} deleted",
                lambda d, path=path: _rewrite(d, meta=_edited(meta, path)))
        for wrong in _wrong_values(value):
            if wrong != value:
                attempt(f"metadata {'.'.join(path)} = {wrong!r}",
                        lambda d, path=path, wrong=wrong: _rewrite(d, meta=_edited(meta, path, wrong)))
    attempt("metadata task relabelled meaning", lambda d: _rewrite(d, meta={**meta, "task": "meaning"}))


def _pointer_faults(attempt: Attempt) -> None:
    """A tampered CURRENT pointer: outside the store, empty, a missing version, overlong."""
    for pointer in ("../../etc", "", "20990101-000000-000000", "x" * 500):
        def point(d: Path, pointer: str = pointer) -> None:
            (d.parent.parent / POINTER_FILE).write_text(pointer)
        attempt(f"CURRENT = {pointer[:30]!r}", point)


def model_file_faults(root: Path, work: Path, tally: Tally) -> None:
    """Each fault applied to a fresh copy of the store; handled = MLError on load and no payload ran."""
    store = ModelStore(root)
    pristine = store.version_dir(store.current_version())
    marker = work / "payload-ran"
    pipeline, _ = read_version(pristine)
    armed = copy.deepcopy(pipeline)
    feature_step(armed).transformers_[0][1].preprocessor = os.system

    def attempt(case: str, damage: Callable[[Path], None]) -> None:
        target = work / "fault"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(root, target)
        damage(ModelStore(target).version_dir(ModelStore(target).current_version()))
        try:
            load_model(target)
            handled = False
        except MLError:
            handled = True
        except Exception:
            handled = False
        tally.record("model files: faults", case, handled and not marker.exists())

    _file_faults(attempt, sio.dumps(armed), marker)
    _metadata_faults(attempt, json.loads((pristine / META_FILE).read_text(encoding="utf-8")))
    _pointer_faults(attempt)


CRASHING_SAVE = """
import os, sys
from pathlib import Path
from ml.artifacts import read_version
from ml.store import ModelStore
root, source, crash_at = sys.argv[1:]
pipeline, metadata = read_version(Path(source))
ModelStore(root).save(pipeline, metadata, check=lambda _: None,
                      on_step=lambda step: os._exit(17) if step == crash_at else None)
"""


def save_faults(root: Path, work: Path, tally: Tally) -> None:
    store = ModelStore(root)
    source = work / "source-version"
    shutil.copytree(store.version_dir(store.current_version()), source)
    for step in SAVE_STEPS:
        before = store.current_version()
        subprocess.run([sys.executable, "-c", CRASHING_SAVE, str(root), str(source), step], check=False,
                       capture_output=True)
        try:
            loaded = load_model(root).version
            handled = loaded in (before, store.versions()[-1])
        except Exception:
            handled = False
        tally.record("saves: crash (os._exit) at each step", step, handled)
    pipeline, metadata = read_version(source)
    before = set(store.versions())
    saved: list[str] = []
    threads = [threading.Thread(target=lambda: saved.append(store.save(pipeline, metadata, check=lambda _: None)
                                                            .version)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kept = set(store.versions())
    tally.record("saves: concurrent", "three saves at once", len(saved) == 3 and
                 (before | set(saved)) & kept == kept and set(saved) <= kept)


def quality_gate(work: Path, tally: Tally) -> None:
    good = work / "gate-good.csv"
    noise = work / "gate-noise.csv"
    pd.DataFrame(ROWS, columns=["message", "context", "label"]).to_csv(good, index=False)
    labels = ("hang", "other", "silence")
    pd.DataFrame([(m, c, labels[(i + i // len(FILLERS)) % 3]) for i, (m, c, _) in enumerate(ROWS)],
                 columns=["message", "context", "label"]).to_csv(noise, index=False)
    out = work / "gate"
    train = ["train", "--labels-from-data", "--task", "gate", "--out", str(out), "--quick", "--folds", "3"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main([*train, "--data", str(good)])
    before = ModelStore(out).current_version()
    refused = cli_refuses(*train, "--data", str(noise))
    tally.record("training: quality gate", "labels shuffled", refused and ModelStore(out).current_version() == before)


def run(fuzz: int) -> Tally:
    tally = Tally()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        data = work / "rows.csv"
        pd.DataFrame(ROWS, columns=["message", "context", "label"]).to_csv(data, index=False)
        root = work / "models" / "small"
        train_task(custom_task("small"), data, root, space=ONE_CANDIDATE, protocol=TrainingProtocol(cv_folds=3))
        model = load_model(root)
        bad_inputs(model, tally, fuzz)
        bad_files(root, work, tally)
        model_file_faults(root, work, tally)
        save_faults(root, work, tally)
        quality_gate(work, tally)
    return tally


def main_() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fuzz", type=int, default=500, help="random texts to interpret (default 500)")
    args = parser.parse_args()
    tally = run(args.fuzz)
    print(f"| {'what was tried':<42} | {'tried':>6} | {'handled':>7} |")
    print(f"|{'-' * 44}|{'-' * 7}:|{'-' * 8}:|")
    for category, (tried, handled) in tally.counts.items():
        print(f"| {category:<42} | {tried:>6} | {handled:>7} |")
    tried = sum(t for t, _ in tally.counts.values())
    handled = sum(h for _, h in tally.counts.values())
    print(f"| {'**all**':<42} | {tried:>6} | {handled:>7} |")
    for failure in tally.failures:
        print(f"NOT HANDLED: {failure}")
    return 0 if tried == handled else 1


if __name__ == "__main__":
    sys.exit(main_())
